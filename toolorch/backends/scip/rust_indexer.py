"""toolorch's Rust indexer: tree-sitter-rust in, a standard SCIP index out.

No SCIP indexer for Rust installs offline here (rust-analyzer needs the crates registry), so this
one parses every `.rs` file of a Cargo package with tree-sitter and writes what rust-analyzer's
SCIP output would hold for the same items: global symbols (`rust-analyzer cargo <crate>
<version> ...`), definitions with their enclosing ranges, references resolved by name within the
crate (see rust_refs), kinds, the item header as a ```rust code block, `///` and `//!` docs, and
`is_implementation` relationships for `impl Trait for Type`. Positions are UTF-8 byte columns
(SCIP position encoding 1), as tree-sitter reports them.
"""

from __future__ import annotations

import logging
from importlib import metadata
from pathlib import Path
from typing import Any

from toolorch.backends.scip.rust_items import (
    FileUnit,
    ItemCollector,
    collect_impls,
    inner_docs,
    module_of_file,
    outer_docs,
    rng,
)
from toolorch.backends.scip.rust_model import Crate, Def, ModPath, read_cargo
from toolorch.backends.scip.rust_refs import RefResolver
from toolorch.errors import ValidationError
from toolorch.scip.model import DEFINITION, Document, Occurrence, ScipIndex, SymbolInfo
from toolorch.scip.writer import write_index

log = logging.getLogger(__name__)

TOOL_NAME = "toolorch-rust"
_SKIP_DIRS = {"target", "node_modules", ".git"}


def tool_version() -> str:
    try:
        return metadata.version("toolorch")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def rust_files(root: Path, exclude: set[str] | frozenset[str] = frozenset()) -> list[Path]:
    """Every `.rs` file of the package, build output and hidden directories excluded, and the
    files (or directories) in `exclude` (relative POSIX paths: symlinks out of the roots)."""
    out = []
    for path in sorted(root.rglob("*.rs")):
        rel = path.relative_to(root).parts
        if any(p in _SKIP_DIRS or p.startswith(".") for p in rel[:-1]):
            continue
        if any("/".join(rel[:i]) in exclude for i in range(1, len(rel) + 1)):
            continue
        out.append(path)
    return out


def _parser() -> Any:
    import tree_sitter_rust
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_rust.language()))


def build_index(root: Path, exclude: set[str] | frozenset[str] = frozenset()) -> ScipIndex:
    """Index the Cargo package at `root` minus `exclude` (blocking; run it in a worker thread)."""
    root = root.resolve()
    package = read_cargo(root)
    files = rust_files(root, exclude)
    if not files:
        raise ValidationError(f"{root} contains no .rs files to index", field="project_path")
    parser = _parser()
    crate = Crate(package)
    units: list[FileUnit] = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        source = path.read_bytes()
        unit = FileUnit(rel, module_of_file(rel), source, parser.parse(source))
        units.append(unit)
        ItemCollector(crate, unit).collect()
    _define_file_modules(crate, units)
    for unit in units:
        collect_impls(crate, unit)
    refs = {unit.rel: RefResolver(crate, unit).run() for unit in units}
    index = ScipIndex(project_root=root.as_uri(), tool_name=TOOL_NAME, tool_version=tool_version())
    by_path: dict[str, list[Def]] = {}
    for d in crate.defs:
        by_path.setdefault(d.path, []).append(d)
    for unit in units:
        index.documents.append(_document(unit, by_path.get(unit.rel, []), refs[unit.rel]))
    log.info("rust index of %s: %s", package.name, index.counts())
    return index


def _define_file_modules(crate: Crate, units: list[FileUnit]) -> None:
    """A module per file: defined at its `mod x;` declaration when one is found (rust-analyzer's
    choice), else at the top of its own file; `//!` docs of the file are its documentation."""
    declared: dict[ModPath, tuple[FileUnit, Any]] = {}
    for unit in units:
        for module, node in unit.mod_decls.items():
            declared.setdefault(module, (unit, node))
    for unit in units:
        module = unit.module
        if module in crate.modules:
            continue
        tree_root = unit.tree.root_node
        docs = inner_docs(tree_root)
        parent = crate.module_symbol(module[:-1]) if module else ""
        name = module[-1] if module else "crate"
        if module in declared:
            decl_unit, node = declared[module]
            name_node = node.child_by_field_name("name")
            decl_unit.def_names.add(name_node.start_byte)
            docs = "\n\n".join(p for p in (outer_docs(node), docs) if p)
            d = Def(crate.module_symbol(module), name, "module", decl_unit.rel, rng(name_node),
                    rng(node), module, parent, signature=node.text.decode().rstrip(";").strip(),
                    docs=docs)
        else:
            end = (tree_root.end_point[0], tree_root.end_point[1])
            d = Def(crate.module_symbol(module), name, "module", unit.rel, (0, 0, 0, 0),
                    (0, 0, *end), module, parent,
                    signature=f"mod {name}" if module else f"crate {crate.package.name}", docs=docs)
        crate.add(d)


def _symbol_info(d: Def) -> SymbolInfo:
    documentation = [f"```rust\n{d.signature}\n```"] if d.signature else []
    if d.docs:
        documentation.append(d.docs)
    return SymbolInfo(symbol=d.symbol, kind=d.kind, display_name=d.name,
                      documentation=documentation, signature=d.signature,
                      relationships=list(d.relationships), enclosing_symbol=d.parent)


def _document(unit: FileUnit, defs: list[Def], refs: list[Occurrence]) -> Document:
    doc = Document(relative_path=unit.rel, language="rust")
    seen: set[str] = set()
    for d in defs:
        doc.occurrences.append(Occurrence(d.symbol, d.name_range, DEFINITION, d.enclosing_range))
        if d.symbol not in seen:
            seen.add(d.symbol)
            doc.symbols.append(_symbol_info(d))
    doc.occurrences.extend(refs)
    doc.occurrences.sort(key=lambda o: (o.range, -o.roles))
    return doc


def index_rust_project(root: Path, output: Path,
                       exclude: set[str] | frozenset[str] = frozenset()) -> ScipIndex:
    """Index `root` and write the SCIP file to `output`; returns the index written."""
    index = build_index(root, exclude)
    write_index(index, output, arguments=["index", str(root)])
    return index
