"""`toolorch bench generators`: time of lean4_generate_specs, n8n_generate_components and
n8n_generate_workflow against the number of declarations (goal: linear).

The input is a synthetic scip-python-shaped index made here (no download): modules of classes
with typed fields and methods and free functions whose parameters and results are classes of
other modules, a `Response` class in many modules (names that only the index's symbols tell
apart), `_private` helpers, and tests/ and examples/ modules, each type reference also written
as a SCIP reference occurrence the way scip-python writes it. Each size runs the generators'
own functions (pure, in memory; files written to a temp dir) and reports seconds and
microseconds per declaration.
"""

from __future__ import annotations

import argparse
import inspect
import tempfile
import time
from pathlib import Path
from typing import Any

from toolorch.bench.common import report
from toolorch.scip.model import DEFINITION, READ_ACCESS, Document, Occurrence, ScipIndex, SymbolInfo

PKG = "scip-python python synth 0.1.0 "
PER_MODULE = 20          # declarations (functions + methods) per module


def _sym(module: str, descriptor: str) -> str:
    return f"{PKG}`{module}`/{descriptor}"


class _Doc:
    """Builds one document line by line, with the occurrences scip-python would write."""

    def __init__(self, path: str, module: str) -> None:
        self.path, self.module = path, module
        self.symbols: list[SymbolInfo] = []
        self.occurrences: list[Occurrence] = []
        self.line = 0

    def define(self, symbol: str, kind: str, name: str, sig: str, doc: str,
               refs: list[tuple[str, str]], lines: int = 1) -> None:
        info = SymbolInfo(symbol, kind, name, [f"```python\n{sig}\n```", doc], sig)
        self.symbols.append(info)
        self.occurrences.append(Occurrence(symbol, (self.line, 4, self.line, 4 + len(name)), DEFINITION,
                                           (self.line, 0, self.line + lines - 1, 20)))
        for i, (ref_name, ref_symbol) in enumerate(refs):
            col = 10 + 12 * i
            self.occurrences.append(Occurrence(ref_symbol, (self.line, col, self.line, col + len(ref_name)),
                                               READ_ACCESS))
        self.line += lines

    def document(self) -> Document:
        return Document(self.path, "python", self.occurrences, self.symbols)


def _layout(m: int) -> tuple[str, str]:
    """(path, module) of module `m`: 1 in 20 under tests/, 1 in 20 under examples/."""
    if m % 20 == 1:
        return f"tests/test_mod{m}.py", f"tests.test_mod{m}"
    if m % 20 == 2:
        return f"examples/app{m}/application.py", f"examples.app{m}.application"
    return f"synth/mod{m}.py", f"synth.mod{m}"


def _class(m: int, c: int) -> tuple[str, str]:
    """(name, symbol) of class `c` of module `m`; class 0 of every third module is `Response`."""
    name = "Response" if c == 0 and m % 3 == 0 else f"Model{m}x{c}"
    return name, _sym(_layout(m)[1], f"{name}#")


def synthetic_index(declarations: int) -> ScipIndex:
    """About `declarations` functions and methods (20 per module: 8 methods, 12 functions of
    which one is `_private`); references go to earlier and later modules alike."""
    n = max(1, declarations // PER_MODULE)
    docs: list[Document] = []
    for m in range(n):
        path, module = _layout(m)
        d = _Doc(path, module)
        kind_name = f"Kind{m}"
        kind_sym = _sym(module, f"{kind_name}#")
        d.define(kind_sym, "class", kind_name, f"class {kind_name}(Enum):", f"Kinds of module {m}.", [])
        for member in ("FIRST", "SECOND"):
            d.define(_sym(module, f"{kind_name}#{member}."), "field", member, f"(variable) {member}: int", "", [])
        for c in range(2):
            name, csym = _class(m, c)
            d.define(csym, "class", name, f"class {name}:", f"A {name} of module {m}.", [])
            peer = _class((m * 7 + c + 1) % n, 1)
            fields: list[tuple[str, str, list[tuple[str, str]]]] = [("size", "int", []), ("label", "str", [])]
            if peer[1] != csym:
                fields.append(("peer", peer[0], [peer]))
            for fname, ftype, frefs in fields:
                d.define(_sym(module, f"{name}#{fname}."), "field", fname, f"(variable) {fname}: {ftype}", "", frefs)
            for k in range(4):
                mname = f"step{k}"
                res = (name, csym) if k % 2 == 0 else ("float", "")
                refs = [(name, csym)] + ([res] if res[1] else [])
                d.define(_sym(module, f"{name}#{mname}()."), "method", mname,
                         f"def {mname}(\n  self,\n  other: {name},\n  n: int = 1\n) -> {res[0]}:",
                         f"Step {k} of {name}.", refs, lines=3)
        for f in range(PER_MODULE - 8):
            fname = f"_helper{f}" if f % 10 == 9 else f"op{m}_{f}"
            arg = _class((m + 1 + f * 37) % n, f % 2)
            res = _class(m, f % 2) if f % 3 else (kind_name, kind_sym)
            extra = f"np.ndarray{f % 5}" if f % 4 == 0 else "Optional[float]"
            d.define(_sym(module, f"{fname}()."), "function", fname,
                     f"def {fname}(\n  item: {arg[0]},\n  count: int,\n  tags: list[str],\n"
                     f"  raw: {extra}\n) -> {res[0]}:",
                     f"Operation {f} of module {m}.", [arg, res], lines=5)
        docs.append(d.document())
    return ScipIndex("file:///synth", "scip-python", "0.6.6", docs)


def _lean_kwargs(fn: Any, public_only: bool) -> dict[str, Any]:
    return {"public_only": public_only} if "public_only" in inspect.signature(fn).parameters else {}


def run_size(declarations: int, public_only: bool) -> dict[str, Any]:
    from toolorch.backends.lean4.project import build_project, write_project
    from toolorch.backends.n8n.leanparse import parse_lean
    from toolorch.backends.n8n.operations import plan_groups
    from toolorch.backends.n8n.package import build_package
    from toolorch.backends.n8n.workflow import build_workflow

    index = synthetic_index(declarations)
    in_index = sum(1 for d in index.documents for s in d.symbols if s.kind in ("function", "method"))
    with tempfile.TemporaryDirectory(prefix="toolorch-bench-gen-") as tmp:
        t0 = time.perf_counter()
        project = build_project(index, "synth", **_lean_kwargs(build_project, public_only))
        main = write_project(project, Path(tmp) / "lean")
        t1 = time.perf_counter()
        spec = parse_lean(main)
        groups = plan_groups(spec)
        build_package(groups, "Synth", "custom", True, main.name)
        t2 = time.perf_counter()
        spec = parse_lean(main)
        workflow = build_workflow(spec, "synth")
        t3 = time.perf_counter()
    declared = sum(len(m.declarations) for m in project.modules)
    return {"declarations_in_index": in_index, "lean_declarations": declared,
            "lean4_s": t1 - t0, "components_s": t2 - t1, "workflow_s": t3 - t2,
            "workflow_nodes": len(workflow["nodes"]),
            "us_per_declaration": (t3 - t0) / max(1, in_index) * 1e6}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="toolorch bench generators", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,2000,7000",
                        help="declaration counts, comma separated (default: 100,2000,7000)")
    parser.add_argument("--all", action="store_true",
                        help="include tests/, examples/ and _private declarations (public_only=false)")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {}
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        row = run_size(size, public_only=not args.all)
        for key, value in row.items():
            result[f"{size}.{key}"] = value
    report("generator time against declarations", result)
    return result


if __name__ == "__main__":
    main()
