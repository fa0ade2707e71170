"""What a SCIP index says about each source module, in the shape the Lean renderer needs.

`collect(index)` walks the documents (sorted by path) and their symbols (in index order, which is
source order for the real indexers) and keeps: containers (classes, structs, interfaces, enums,
traits, type aliases) with their fields or members, and functions/methods/constructors with their
parsed signatures, each with the type symbols its signature refers to (refs.py). Parameters,
locals and modules are dropped; nothing is invented. With `public_only`, what visibility.py calls
non-public is left out and counted in `Excluded`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from toolorch.backends.lean4.refs import document_refs
from toolorch.backends.lean4.signatures import FuncSig, parse_alias, parse_field, parse_function
from toolorch.backends.lean4.visibility import public_name, public_path
from toolorch.scip import kinds as K
from toolorch.scip import symbols as S
from toolorch.scip.model import Document, ScipIndex, SymbolInfo

FUNCTION_KINDS = frozenset({"function", "method", "static_method", "trait_method", "constructor"})
CONTAINER_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "type", "union",
                             "type_alias"})
MEMBER_KINDS = frozenset({"field", "property", "variable", "constant", "enum_member"})
_PY_ENUM = re.compile(r"\((?:[^)]*\b)?(?:Enum|IntEnum|StrEnum|Flag|IntFlag)\)")


@dataclass(slots=True)
class FieldSpec:
    name: str
    type_text: str
    doc: str = ""
    refs: dict[str, str] = field(default_factory=dict)       # type name -> the symbol the index gave


@dataclass(slots=True)
class FuncSpec:
    symbol: str
    name: str
    sig: FuncSig
    doc: str = ""
    signature: str = ""
    owner: str = ""            # the container's symbol for methods and constructors
    constructor: bool = False
    refs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ContainerSpec:
    symbol: str
    name: str
    shape: str                 # "structure", "enum", "opaque" (traits) or "alias"
    doc: str = ""
    signature: str = ""
    fields: list[FieldSpec] = field(default_factory=list)
    members: list[FieldSpec] = field(default_factory=list)   # enum members (type_text unused)
    alias_text: str = ""
    methods: list[FuncSpec] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ModuleSpec:
    relative_path: str
    language: str
    containers: list[ContainerSpec] = field(default_factory=list)
    functions: list[FuncSpec] = field(default_factory=list)   # free functions only
    refs: dict[str, str] = field(default_factory=dict)         # the document's type references

    @property
    def is_empty(self) -> bool:
        return not self.containers and not self.functions


def _doc(info: SymbolInfo) -> str:
    return K.split_documentation(info.documentation)[1]


def _shape(info: SymbolInfo, language: str) -> str:
    head = info.signature.strip()
    if info.kind == "enum" or (language == "python" and _PY_ENUM.search(head.split("\n")[-1])):
        return "enum"
    if info.kind == "trait":
        return "opaque"
    if info.kind in ("type_alias", "type") and parse_alias(head, language):
        return "alias"
    if info.kind == "type_alias" or re.match(r"^(?:export\s+)?type\s", head):
        return "opaque"
    return "structure"


def _parent(info: SymbolInfo) -> str:
    if info.enclosing_symbol:
        return info.enclosing_symbol
    parsed = S.try_parse(info.symbol)
    return K.parent_symbol(parsed) if parsed else ""


def _function(info: SymbolInfo, language: str, owner: ContainerSpec | None) -> FuncSpec | None:
    sig = parse_function(info.signature, language)
    if sig is None:
        return None
    name = info.display_name or sig.name
    constructor = info.kind == "constructor" or name in ("__init__", "<constructor>", "constructor")
    if owner is not None and language == "typescript" and not constructor \
            and info.kind in ("method", "trait_method") and not info.signature.lstrip().startswith("static"):
        sig.receiver = True
    if constructor:
        sig.receiver = False
        name = "new"
    return FuncSpec(symbol=info.symbol, name=name, sig=sig, doc=_doc(info), signature=info.signature,
                    owner=owner.symbol if owner else "", constructor=constructor)


@dataclass(slots=True)
class Excluded:
    """What `public_only` left out: whole files, and private names in the files kept."""

    files: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)           # "path: Type.name"
    declaration_count: int = 0                                # functions and methods left out


class _Collector:
    """One document at a time; `private` decides and counts what `public_only` leaves out."""

    def __init__(self, public_only: bool, excluded: Excluded) -> None:
        self.public_only, self.skipped = public_only, excluded
        self.type_names: dict[str, str | None] = {}
        self.path, self.language = "", ""
        self.containers: dict[str, ContainerSpec] = {}

    def private(self, info: SymbolInfo, member: bool) -> bool:
        if not self.public_only or public_name(info.display_name, info.signature, self.language, member=member):
            return False
        owner = self.containers.get(_parent(info)) if member else None
        prefix = owner.name + "." if owner is not None else ""
        self.skipped.names.append(f"{self.path}: {prefix}{info.display_name}")
        if info.kind in FUNCTION_KINDS:
            self.skipped.declaration_count += 1
        return True

    def module(self, doc: Document) -> ModuleSpec | None:
        language = (doc.language or K.language_of(doc.relative_path)).lower()
        if language == "javascript":
            language = "typescript"
        if self.public_only and not public_path(doc.relative_path):
            self.skipped.files.append(doc.relative_path)
            self.skipped.declaration_count += sum(1 for i in doc.symbols if i.kind in FUNCTION_KINDS
                                                  and not S.is_local(i.symbol))
            return None
        self.path, self.language = doc.relative_path, language
        refs = document_refs(doc, self.type_names)
        mod = ModuleSpec(doc.relative_path, language, refs=refs.document)
        hidden: set[str] = set()               # private containers: their members go too
        containers = self.containers = {}
        for info in doc.symbols:
            if S.is_local(info.symbol) or info.kind not in CONTAINER_KINDS:
                continue
            if _parent(info) in hidden or self.private(info, member=False):
                hidden.add(info.symbol)
                continue
            shape = _shape(info, language)
            c = ContainerSpec(info.symbol, info.display_name, shape, _doc(info), info.signature,
                              refs=refs.of(info.symbol))
            if shape == "alias":
                _, c.alias_text, _ = parse_alias(info.signature, language) or ("", "", [])
            containers[info.symbol] = c
            mod.containers.append(c)
        ctor_owner: dict[str, ContainerSpec] = {}   # constructor symbol -> its container
        for info in doc.symbols:
            if S.is_local(info.symbol):
                continue
            parent = _parent(info)
            if parent in hidden:
                if info.kind in FUNCTION_KINDS:
                    self.skipped.declaration_count += 1
                continue
            owner = containers.get(parent)
            if owner is None and parent in ctor_owner and info.signature.startswith("(property)"):
                owner = ctor_owner[parent]   # a TypeScript parameter property: a field too
            if language == "rust" and "/tests/" in info.symbol:
                continue  # a #[cfg(test)] module: the crate's own unit tests, not its API
            if info.kind in FUNCTION_KINDS or (
                    owner is None and language == "typescript" and info.kind in ("variable", "constant")
                    and re.search(r":\s*(<[^>]*>\s*)?\(", info.signature)):
                fn = _function(info, language, owner)
                if fn is None or self.private(info, member=owner is not None):
                    continue
                fn.refs = refs.of(info.symbol)
                if owner is not None and owner.shape != "alias":
                    owner.methods.append(fn)
                    if fn.constructor:
                        ctor_owner[info.symbol] = owner
                else:
                    fn.owner = ""
                    fn.constructor = False
                    mod.functions.append(fn)
            elif owner is not None and info.kind in MEMBER_KINDS:
                if owner.shape == "enum":
                    owner.members.append(FieldSpec(info.display_name, "", _doc(info)))
                elif owner.shape == "structure" and not self.private(info, member=True):
                    parsed = parse_field(info.signature, language)
                    type_text = parsed[1] if parsed else ""
                    if any(f.name == info.display_name for f in owner.fields):
                        continue
                    owner.fields.append(FieldSpec(info.display_name, type_text, _doc(info),
                                                  refs.of(info.symbol)))
        return mod


def collect(index: ScipIndex, *, public_only: bool = False, excluded: Excluded | None = None) -> list[ModuleSpec]:
    """One ModuleSpec per document, sorted by path (empty modules included; callers filter).
    With `public_only`, non-public files and names are left out and counted in `excluded`."""
    collector = _Collector(public_only, excluded if excluded is not None else Excluded())
    modules = (collector.module(doc) for doc in sorted(index.documents, key=lambda d: d.relative_path))
    return [m for m in modules if m is not None]


@dataclass(slots=True)
class ModuleOut:
    """One generated Lean module (render.py fills it; order.py adds its imports)."""

    name: str                    # Lean module name, e.g. Sample.Shapes.Circle
    path: str                    # relative file path, e.g. Sample/Shapes/Circle.lean
    text: str = ""
    imports: list[str] = field(default_factory=list)
    declarations: list[str] = field(default_factory=list)
    structures: list[str] = field(default_factory=list)
    unknown_types: dict[str, str] = field(default_factory=dict)   # Lean name -> source label
