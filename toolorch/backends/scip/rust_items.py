"""Pass 1 of the Rust indexer: collect every definition of the crate from tree-sitter trees.

Items (fn, struct, enum, union, trait, const, static, type, macro_rules!, mod), their members
(fields, variants, trait methods, impl methods and associated items) and `use` declarations.
`impl` blocks are handled after all files are read, since the type or trait they name may be
defined in another file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from toolorch.backends.scip.rust_model import TYPE_KINDS, Crate, Def, ModPath
from toolorch.scip import symbols as S
from toolorch.scip.model import Range, Relationship

Node = Any  # tree_sitter.Node (imported lazily)

_TYPE_ITEMS = {"struct_item": "struct", "enum_item": "enum", "union_item": "union",
               "trait_item": "trait", "type_item": "type_alias"}
_BODIES = {"declaration_list", "field_declaration_list", "enum_variant_list", "block"}


@dataclass(slots=True)
class FileUnit:
    """One parsed source file."""

    rel: str
    module: ModPath
    source: bytes
    tree: Any
    def_names: set[int] = field(default_factory=set)            # start bytes of defining names
    impls: list[tuple[Node, ModPath]] = field(default_factory=list)
    mod_decls: dict[ModPath, Node] = field(default_factory=dict)  # `mod x;` name nodes


def module_of_file(rel: str) -> ModPath:
    """`src/lib.rs` -> (), `src/a/mod.rs` -> ("a",), `src/a/b.rs` -> ("a", "b"),
    `tests/it.rs` -> ("tests", "it")."""
    parts = list(PurePosixPath(rel).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
        if parts in (["lib"], ["main"]):
            return ()
    if parts and parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def rng(node: Node) -> Range:
    return (node.start_point[0], node.start_point[1], node.end_point[0], node.end_point[1])


def text(node: Node) -> str:
    raw: bytes = node.text or b""
    return raw.decode("utf-8", errors="replace")


def _doc_text(comment: Node) -> str | None:
    kinds = {c.type for c in comment.children}
    if "outer_doc_comment_marker" not in kinds and "inner_doc_comment_marker" not in kinds:
        return None
    body = next((c for c in comment.children if c.type == "doc_comment"), None)
    raw = text(body) if body is not None else ""
    lines = []
    for line in raw.splitlines() or [""]:
        line = line.strip() if comment.type == "block_comment" else line.rstrip()
        if comment.type == "block_comment":
            line = line.lstrip("*").strip() if line.startswith("*") else line
        lines.append(line.removeprefix(" "))
    return "\n".join(lines).strip("\n") if comment.type == "block_comment" else lines[0]


def outer_docs(node: Node) -> str:
    """The `///` / `/** */` comments above `node` (attributes in between are skipped)."""
    lines: list[str] = []
    sib = node.prev_sibling
    while sib is not None and sib.type in ("line_comment", "block_comment", "attribute_item"):
        if sib.type != "attribute_item":
            doc = _doc_text(sib)
            if doc is not None and "inner_doc_comment_marker" not in {c.type for c in sib.children}:
                lines.append(doc)
        sib = sib.prev_sibling
    return "\n".join(reversed(lines)).strip()


def inner_docs(container: Node) -> str:
    """The `//!` comments at the top of a file or an inline module body."""
    lines = []
    for child in container.children:
        if child.type in ("line_comment", "block_comment"):
            if "inner_doc_comment_marker" in {c.type for c in child.children}:
                lines.append(_doc_text(child) or "")
        elif child.type not in ("{", "attribute_item", "inner_attribute_item"):
            break
    return "\n".join(lines).strip()


def signature(node: Node) -> str:
    """The item's header: its text up to the body, or whole without the final `;`."""
    body = node.child_by_field_name("body")
    if body is not None and body.type in _BODIES:
        head = node.text[: body.start_byte - node.start_byte]
    else:
        head = node.text
    sig: str = head.decode("utf-8", errors="replace").strip()
    return sig[:-1].rstrip() if sig.endswith(";") else sig


def type_name(node: Node | None) -> str:
    """The base name of a type expression: `&mut Vec<T>` -> `Vec`, `a::B<C>` -> `B`."""
    while node is not None:
        if node.type in ("type_identifier", "identifier", "primitive_type"):
            return text(node)
        if node.type == "generic_type":
            node = node.child_by_field_name("type")
        elif node.type == "scoped_type_identifier":
            node = node.child_by_field_name("name")
        elif node.type in ("reference_type", "pointer_type"):
            node = node.child_by_field_name("type")
        else:
            return ""
    return ""


class ItemCollector:
    """Collects the definitions of one file into the crate."""

    def __init__(self, crate: Crate, unit: FileUnit) -> None:
        self.crate, self.unit = crate, unit

    def _def(self, node: Node, name_node: Node, symbol: str, kind: str, module: ModPath,
             parent: str, owner: str = "", docs: str | None = None) -> Def:
        self.unit.def_names.add(name_node.start_byte)
        return self.crate.add(Def(
            symbol=symbol, name=text(name_node), kind=kind, path=self.unit.rel,
            name_range=rng(name_node), enclosing_range=rng(node), module=module, parent=parent,
            signature=signature(node), docs=outer_docs(node) if docs is None else docs, owner=owner))

    def collect(self) -> None:
        self.items(self.unit.tree.root_node, self.unit.module)

    def items(self, container: Node, module: ModPath) -> None:
        parent = self.crate.module_symbol(module)
        for node in container.named_children:
            t = node.type
            name_node = node.child_by_field_name("name")
            if t == "function_item" and name_node is not None:
                sym = self.crate.item_symbol(module, S.Descriptor(text(name_node), S.METHOD))
                self._def(node, name_node, sym, "function", module, parent)
            elif t in _TYPE_ITEMS and name_node is not None:
                sym = self.crate.item_symbol(module, S.Descriptor(text(name_node), S.TYPE))
                d = self._def(node, name_node, sym, _TYPE_ITEMS[t], module, parent)
                self.members(node, d, module)
            elif t in ("const_item", "static_item") and name_node is not None:
                sym = self.crate.item_symbol(module, S.Descriptor(text(name_node), S.TERM))
                self._def(node, name_node, sym, "constant", module, parent)
            elif t == "macro_definition" and name_node is not None:
                sym = self.crate.item_symbol(module, S.Descriptor(text(name_node), S.MACRO))
                self._def(node, name_node, sym, "macro", module, parent)
            elif t == "mod_item" and name_node is not None:
                self.module_item(node, name_node, module)
            elif t == "impl_item":
                self.unit.impls.append((node, module))
            elif t == "use_declaration":
                self.use(node.child_by_field_name("argument"), (), module)

    def module_item(self, node: Node, name_node: Node, module: ModPath) -> None:
        child = (*module, text(name_node))
        body = node.child_by_field_name("body")
        if body is None:  # `mod x;`: the module's file defines it; its name is declared here
            self.unit.mod_decls[child] = node
            return
        self._def(node, name_node, self.crate.module_symbol(child), "module", child,
                  self.crate.module_symbol(module),
                  docs="\n\n".join(p for p in (outer_docs(node), inner_docs(body)) if p))
        self.items(body, child)

    def members(self, node: Node, owner: Def, module: ModPath) -> None:
        body = node.child_by_field_name("body")
        if body is None:
            return
        for child in body.named_children:
            name_node = child.child_by_field_name("name")
            if name_node is None:
                continue
            if child.type == "field_declaration":
                kind, desc = "field", S.Descriptor(text(name_node), S.TERM)
            elif child.type == "enum_variant":
                kind, desc = "enum_member", S.Descriptor(text(name_node), S.TERM)
            elif child.type in ("function_signature_item", "function_item") and owner.kind == "trait":
                kind, desc = "trait_method", S.Descriptor(text(name_node), S.METHOD)
            elif child.type in ("const_item", "associated_type"):
                kind = "constant" if child.type == "const_item" else "type_alias"
                desc = S.Descriptor(text(name_node), S.TERM if kind == "constant" else S.TYPE)
            else:
                continue
            self._def(child, name_node, Crate.member_symbol(owner.symbol, desc), kind, module,
                      owner.symbol, owner=owner.symbol)

    def use(self, node: Node | None, prefix: tuple[str, ...], module: ModPath) -> None:
        """Record `use` paths: alias -> full path (globs separately)."""
        if node is None:
            return
        t = node.type
        if t in ("identifier", "scoped_identifier", "crate", "self", "super"):
            path = (*prefix, *path_segments(node))
            if path and path[-1] != "self":
                self.crate.uses[module][path[-1]] = path
            elif len(path) > 1:
                self.crate.uses[module][path[-2]] = path[:-1]
        elif t == "use_as_clause":
            path = (*prefix, *path_segments(node.child_by_field_name("path")))
            alias = node.child_by_field_name("alias")
            if alias is not None:
                self.crate.uses[module][text(alias)] = path
        elif t == "use_wildcard":
            inner = node.named_children[0] if node.named_children else None
            self.crate.wildcards[module].append((*prefix, *path_segments(inner)))
        elif t == "scoped_use_list":
            base = (*prefix, *path_segments(node.child_by_field_name("path")))
            self.use(node.child_by_field_name("list"), base, module)
        elif t == "use_list":
            for child in node.named_children:
                self.use(child, prefix, module)


def path_segments(node: Node | None) -> tuple[str, ...]:
    """`a::b::c` as ("a", "b", "c"); generic arguments are dropped."""
    if node is None:
        return ()
    if node.type in ("scoped_identifier", "scoped_type_identifier"):
        return (*path_segments(node.child_by_field_name("path")),
                *path_segments(node.child_by_field_name("name")))
    if node.type == "generic_type":
        return path_segments(node.child_by_field_name("type"))
    return (text(node),)


def collect_impls(crate: Crate, unit: FileUnit) -> None:
    """Methods and associated items of every `impl` of the file, with `is_implementation`
    relationships to the trait (and its methods) for `impl Trait for Type`."""
    for node, module in unit.impls:
        type_node = node.child_by_field_name("type")
        tname = type_name(type_node)
        if not tname:
            continue
        owner = crate.resolve_path(path_segments(_base_type(type_node)), module, TYPE_KINDS)
        owner_sym = owner.symbol if owner else crate.item_symbol(module, S.Descriptor(tname, S.TYPE))
        trait_node = node.child_by_field_name("trait")
        trait_name = type_name(trait_node) if trait_node is not None else ""
        trait = (crate.resolve_path(path_segments(_base_type(trait_node)), module,
                                    frozenset({"trait"})) if trait_node is not None else None)
        if (owner is not None and trait is not None
                and not any(r.symbol == trait.symbol for r in owner.relationships)):
            owner.relationships.append(Relationship(trait.symbol, is_implementation=True))
        body = node.child_by_field_name("body")
        if body is None:
            continue
        collector = ItemCollector(crate, unit)
        for child in body.named_children:
            name_node = child.child_by_field_name("name")
            if name_node is None:
                continue
            name = text(name_node)
            if child.type == "function_item":
                params = child.child_by_field_name("parameters")
                has_self = params is not None and any(
                    p.type == "self_parameter" for p in params.named_children)
                kind = "method" if has_self else "static_method"
                desc = S.Descriptor(name, S.METHOD, trait_name)
            elif child.type in ("const_item", "type_item"):
                kind = "constant" if child.type == "const_item" else "type_alias"
                desc = S.Descriptor(name, S.TERM if kind == "constant" else S.TYPE)
            else:
                continue
            d = collector._def(child, name_node, Crate.member_symbol(owner_sym, desc), kind,
                               module, owner_sym, owner=owner_sym)
            if trait is not None:
                declared = crate.member(trait.symbol, name)
                if declared is not None:
                    d.relationships.append(Relationship(declared.symbol, is_reference=True,
                                                        is_implementation=True))


def _base_type(node: Node | None) -> Node | None:
    while node is not None and node.type in ("reference_type", "pointer_type", "generic_type"):
        node = node.child_by_field_name("type")
    return node
