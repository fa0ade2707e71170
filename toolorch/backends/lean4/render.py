"""Render collected module specs as Lean 4 source files (one per source module, plus the root).

Layout of one module file (`<Root>/<Path>.lean`, namespace `<Root>.<Path>`):
imports, options, a module doc, the opaque stand-ins for unmapped types, the containers
(`structure` / `inductive` / opaque type / `abbrev`) ordered so each comes after what its fields
use, then one `opaque` per function and method with named, typed parameters, then (optionally)
`_post`/`_spec` theorem stubs and `example` tests that pin each declaration's type.
Everything is ordered by the index, so the same index always gives byte-identical files.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from toolorch.backends.lean4.names import STRUCTURE_GENERATED, Scope, sanitize, upper_camel
from toolorch.backends.lean4.order import ContainerGraph
from toolorch.backends.lean4.spec import ContainerSpec, FuncSpec, ModuleOut, ModuleSpec
from toolorch.backends.lean4.types import LeanTypeMapper, TypeScope


def doc_comment(text: str, indent: str = "") -> str:
    """A `/-- ... -/` doc comment; `-/` inside is defused so the comment cannot end early."""
    body = inspect.cleandoc(text).replace("-/", "- /").replace("/-", "/ -")
    if not body:
        return ""
    lines = body.splitlines()
    if len(lines) == 1:
        return f"{indent}/-- {lines[0]} -/\n"
    inner = "\n".join(f"{indent}{ln}".rstrip() for ln in lines[1:])
    return f"{indent}/-- {lines[0]}\n{inner} -/\n"


def _source_line(signature: str, path: str) -> str:
    sig = " ".join(ln.strip() for ln in signature.strip().splitlines() if ln.strip())
    sig = sig.replace("( ", "(").replace(" )", ")").replace("`", "'")
    return f"Source ({path}): `{sig}`" if sig else f"Source: {path}"


@dataclass(slots=True)
class Binder:
    name: str
    type: str
    optional: bool = False       # rendered with `:= default`


@dataclass(slots=True)
class Decl:
    """One rendered function/method: what the declaration, spec and test need."""

    full: str                    # name inside the module namespace (`Circle.scaled`)
    binders: list[Binder]
    result: str
    type_params: list[str]
    doc: str


def module_name(root: str, relative_path: str, taken: set[str]) -> str:
    stem = relative_path.rsplit(".", 1)[0] if "." in relative_path.rsplit("/", 1)[-1] else relative_path
    parts = [upper_camel(p) for p in stem.split("/") if p]
    name = ".".join([root, *parts])
    base, n = name, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


class ModuleRenderer:
    """Renders one module; the graph finds containers of other modules (and imports them)."""

    def __init__(self, spec: ModuleSpec, out: ModuleOut, graph: ContainerGraph,
                 generate_proofs: bool, include_tests: bool) -> None:
        self.spec, self.out, self.graph = spec, out, graph
        self.proofs, self.tests = generate_proofs, include_tests
        self.scope = graph.scopes[spec.relative_path]   # container names already claimed
        self.lean_of = {c.symbol: graph.lean[c.symbol] for c in spec.containers}
        self.current: str = ""                   # container symbol whose fields are being mapped
        self.refs: dict[str, str] = {}           # type name -> symbol, of the declaration being mapped
        self.unknown_blocks: list[str] = []
        self._unknown_of: dict[str, str] = {}    # source label -> Lean name

    # -- type scope callbacks ----------------------------------------------------------------
    def _unknown(self, label: str) -> str:
        known = self._unknown_of.get(label)
        if known is not None:
            return known
        lean = self.scope.claim("Unknown_" + sanitize(label).strip("_"))
        self._unknown_of[label] = lean
        self.out.unknown_types[lean] = label
        self.unknown_blocks.append(self._opaque_type(lean, (
            f"Stands for the {self.spec.language} type `{label.replace('`', chr(39))}`, which the "
            "type table does not map: an opaque type, declared once in this module.")))
        return lean

    def _resolve(self, name: str) -> str | None:
        """The Lean type for a source type name: the container the index resolved the name to
        in this declaration (else this module's container of that name, else the document's
        reference), or, for a name the index left unresolved, the project's only container of
        that name. None: an opaque stand-in."""
        symbol = self.refs.get(name) or self.graph.find_local(self.spec.relative_path, name) \
            or self.spec.refs.get(name)
        if symbol is None:
            return self.graph.resolve_unique(self.out, name)
        if symbol in self.lean_of:
            if self.current and self.graph.blocked(self.current, symbol):
                return None
            return self.lean_of[symbol]
        return self.graph.resolve_symbol(self.out, symbol)

    def mapper(self, type_params: dict[str, str] | None = None, self_type: str | None = None) -> LeanTypeMapper:
        return LeanTypeMapper(TypeScope(self.spec.language, self._resolve, self._unknown,
                                        dict(type_params or {}), self_type))

    @staticmethod
    def _opaque_type(name: str, doc: str) -> str:
        return (doc_comment(doc)
                + f"opaque {name}.Impl : (α : Type) × Inhabited α := ⟨Unit, ⟨()⟩⟩\n"
                + doc_comment(doc)
                + f"def {name} : Type := {name}.Impl.1\n"
                + f"instance : Inhabited {name} := {name}.Impl.2\n")

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> None:
        spec = self.spec
        fn_names = {id(f): self.scope.claim(f.name) for f in spec.functions}
        body: list[str] = []
        decls: list[Decl] = []
        for c in self.graph.ordered(spec.relative_path, spec.containers):
            body.append(self._container(c))
        for c in spec.containers:
            if c.shape == "alias":
                continue
            inner = Scope(STRUCTURE_GENERATED | {sanitize(f.name) for f in c.fields})
            for m in c.methods:
                decls.append(self._function(m, f"{self.lean_of[c.symbol]}.", inner.claim(m.name),
                                            owner=self.lean_of[c.symbol], scope=inner))
        for f in spec.functions:
            decls.append(self._function(f, "", fn_names[id(f)], owner=None, scope=self.scope))
        body.extend(self._decl_text(d) for d in decls)
        if self.proofs and decls:
            body.append("/-! ## Specification stubs: refine each `_post`, then prove the `_spec`. -/\n")
            body.extend(self._spec_text(d) for d in decls)
        tests = self._tests(decls)
        if self.tests and tests:
            body.append("section Tests\n/-! Each `example` pins a declaration's type; Lean checks them. -/\n\n"
                        + "\n".join(tests) + "\nend Tests\n")
        self.out.declarations = [f"{self.out.name}.{d.full}" for d in decls]
        header = "".join(f"import {i}\n" for i in sorted(self.out.imports))
        header += (f"\n/-!\n# {self.out.name}\n\nLean 4 specification of `{spec.relative_path}` "
                   f"({spec.language}), generated by toolorch from a SCIP index.\nFunctions are `opaque`: "
                   "their types are the specification.\n-/\n\n"
                   "set_option autoImplicit false\nset_option linter.unusedVariables false\n\n"
                   f"namespace {self.out.name}\n\n")
        parts = [*self.unknown_blocks, *body]
        self.out.text = header + "\n".join(parts) + f"\nend {self.out.name}\n"

    def _container(self, c: ContainerSpec) -> str:
        name = self.lean_of[c.symbol]
        doc = doc_comment("\n\n".join(x for x in (c.doc, _source_line(c.signature, self.spec.relative_path)) if x))
        self.out.structures.append(f"{self.out.name}.{name}")
        if c.shape == "alias":
            self.current, self.refs = c.symbol, c.refs
            target = self.mapper().map_text(c.alias_text)
            self.current, self.refs = "", {}
            return doc + f"abbrev {name} := {target}\n"
        if c.shape == "opaque" or (c.shape == "enum" and not c.members):
            return self._opaque_type(name, "\n\n".join(
                x for x in (c.doc, _source_line(c.signature, self.spec.relative_path)) if x))
        if c.shape == "enum":
            inner = Scope(STRUCTURE_GENERATED)
            lines = [doc + f"inductive {name} where\n"]
            for m in c.members:
                lines.append(doc_comment(m.doc, "  ") + f"  | {inner.claim(m.name)}\n")
            lines.append("  deriving Inhabited, BEq, Repr\n")
            return "".join(lines)
        if not c.fields:
            return doc + f"structure {name}\nderiving instance Inhabited for {name}\n"
        inner = Scope(STRUCTURE_GENERATED)
        self.current = c.symbol
        mapper = self.mapper(self_type=name)
        lines = [doc + f"structure {name} where\n"]
        for f in c.fields:
            self.refs = f.refs
            lines.append(doc_comment(f.doc, "  ") + f"  {inner.claim(f.name)} : {mapper.map_text(f.type_text)}\n")
        self.current, self.refs = "", {}
        lines.append("  deriving Inhabited\n")
        return "".join(lines)

    def _function(self, f: FuncSpec, prefix: str, name: str, owner: str | None, scope: Scope) -> Decl:
        self.refs = f.refs
        try:
            return self._function_decl(f, prefix, name, owner, scope)
        finally:
            self.refs = {}

    def _function_decl(self, f: FuncSpec, prefix: str, name: str, owner: str | None, scope: Scope) -> Decl:
        sig = f.sig
        taken = set(self.lean_of.values()) | set(self.out.unknown_types)
        params = Scope(taken)
        type_params = {t: params.claim(t) for t in sig.type_params}
        mapper = self.mapper(type_params, self_type=owner)
        binders: list[Binder] = []
        if owner and sig.receiver:
            binders.append(Binder(params.claim("self"), owner))
        for p in sig.params:
            if p.variadic == "**":
                t = f"List (String × {mapper.map_text(p.type_text) if p.type_text else self._unknown('Any')})"
            elif p.variadic:
                t = f"List {_atom(mapper.map_text(p.type_text))}"
            else:
                t = mapper.map_text(p.type_text)
            if p.optional and self.spec.language == "typescript" and not t.startswith("Option "):
                t = f"Option {_atom(t)}"
            binders.append(Binder(params.claim(p.name), t, optional=p.optional or bool(p.variadic)))
        if f.constructor and owner:
            result = owner
        elif sig.result_text:
            result = mapper.map_text(sig.result_text)
        elif self.spec.language == "rust" or f.constructor:
            result = "Unit"
        else:
            result = self._unknown("Any")
        doc = "\n\n".join(x for x in (f.doc, _source_line(f.signature, self.spec.relative_path)) if x)
        if self.proofs:
            scope.reserve(name + "_post")
            scope.reserve(name + "_spec")
        return Decl(prefix + name, binders, result, list(type_params.values()), doc)

    @staticmethod
    def _binders(d: Decl, with_defaults: bool) -> str:
        parts = [f"{{{t} : Type}} [Inhabited {t}]" for t in d.type_params]
        for b in d.binders:
            default = " := default" if with_defaults and b.optional else ""
            parts.append(f"({b.name} : {b.type}{default})")
        return " ".join(parts)

    def _decl_text(self, d: Decl) -> str:
        binders = self._binders(d, with_defaults=True)
        return doc_comment(d.doc) + f"opaque {d.full}{' ' + binders if binders else ''} : {d.result}\n"

    def _spec_text(self, d: Decl) -> str:
        binders = self._binders(d, with_defaults=False)
        args = " ".join(b.name for b in d.binders)
        call = f"{d.full} {args}".strip()
        head = f" {binders}" if binders else ""
        return (doc_comment(f"The postcondition of `{d.full}`: what its result must satisfy "
                            "(`True` until refined).")
                + f"def {d.full}_post{head} (result : {d.result}) : Prop := True\n\n"
                + f"theorem {d.full}_spec{head} :\n    {d.full}_post {args + ' ' if args else ''}"
                + f"({call}) := by\n  sorry\n")

    def _tests(self, decls: list[Decl]) -> list[str]:
        out: list[str] = []
        for c in self.spec.containers:
            if c.shape in ("structure", "enum", "opaque"):
                name = self.lean_of[c.symbol]
                out.append(f"example : Inhabited {name} := inferInstance\n")
        for d in decls:
            arrow = " → ".join([*(_arrow_arg(b.type) for b in d.binders), d.result])
            if d.type_params:
                arrow = " → ".join([*(f"{{{t} : Type}} → [Inhabited {t}]" for t in d.type_params), arrow])
            out.append(f"example : {arrow} := @{d.full}\n")
        return out


def _atom(t: str) -> str:
    """`t` as an argument of a type application (parenthesized unless already atomic)."""
    if " " not in t:
        return t
    if t.startswith("(") and t.endswith(")"):
        depth = 0
        for i, ch in enumerate(t):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and i < len(t) - 1:
                break
        else:
            return t
    return f"({t})"


def _arrow_arg(t: str) -> str:
    """A binder type as the left side of `→` (function types need parentheses)."""
    return f"({t})" if "→" in t else t
