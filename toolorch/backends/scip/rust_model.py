"""The crate model of toolorch's Rust indexer: what was defined where, and name lookup.

Symbols follow rust-analyzer's SCIP style: `rust-analyzer cargo <crate> <version> <descriptors>`
with modules as namespaces (`geometry/`), types and traits as types (`Circle#`), functions and
methods as methods (`area().`, `Circle#new().`), fields, variants and constants as terms. A method
of `impl Trait for Type` carries the trait as disambiguator (`Circle#area(Shape).`), so two traits'
methods of one name on one type stay distinct. The crate root module is `crate/`.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from toolorch.errors import ValidationError
from toolorch.scip import symbols as S
from toolorch.scip.limits import read_text_capped
from toolorch.scip.model import Range, Relationship

SCHEME, MANAGER = "rust-analyzer", "cargo"
TYPE_KINDS = frozenset({"struct", "enum", "union", "trait", "type_alias"})
VALUE_KINDS = frozenset({"function", "constant", "struct"})
METHOD_KINDS = frozenset({"method", "static_method", "trait_method"})

ModPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Package:
    name: str        # the crate name (dashes become underscores, as rustc does)
    version: str


def read_cargo(root: Path) -> Package:
    """Crate name and version from `root/Cargo.toml` (a workspace-only manifest falls back to the
    directory name)."""
    manifest = root / "Cargo.toml"
    if not manifest.is_file():
        raise ValidationError(
            f"{root} has no Cargo.toml; pass the directory of a Cargo package for language 'rust'",
            field="project_path")
    try:
        data = tomllib.loads(read_text_capped(manifest))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{manifest} is not valid TOML: {exc}", field="project_path") from exc
    pkg = data.get("package") or {}
    name = str(pkg.get("name") or root.name)
    version = pkg.get("version")
    return Package(name.replace("-", "_"), version if isinstance(version, str) else "0.0.0")


@dataclass(slots=True)
class Def:
    """One definition: everything the index needs about it."""

    symbol: str
    name: str
    kind: str
    path: str                    # the document (relative path) it is defined in
    name_range: Range
    enclosing_range: Range
    module: ModPath
    parent: str = ""             # enclosing symbol
    signature: str = ""
    docs: str = ""
    owner: str = ""              # for members: the symbol of their type or trait
    relationships: list[Relationship] = field(default_factory=list)


class Crate:
    """Definitions of one crate, with the lookups reference resolution needs."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.defs: list[Def] = []
        self.modules: dict[ModPath, Def] = {}
        self.items: dict[ModPath, dict[str, list[Def]]] = defaultdict(lambda: defaultdict(list))
        self.members: dict[str, dict[str, list[Def]]] = defaultdict(lambda: defaultdict(list))
        self.by_name: dict[str, list[Def]] = defaultdict(list)
        self.uses: dict[ModPath, dict[str, tuple[str, ...]]] = defaultdict(dict)
        self.wildcards: dict[ModPath, list[tuple[str, ...]]] = defaultdict(list)
        self.macros: dict[str, list[Def]] = defaultdict(list)
        self.by_symbol: dict[str, Def] = {}

    # ---- symbols -------------------------------------------------------------------------

    def symbol(self, *descriptors: S.Descriptor) -> str:
        return S.global_symbol(SCHEME, MANAGER, self.package.name, self.package.version,
                               *descriptors)

    @staticmethod
    def module_descriptors(module: ModPath) -> list[S.Descriptor]:
        if not module:
            return [S.Descriptor("crate", S.NAMESPACE)]
        return [S.Descriptor(m, S.NAMESPACE) for m in module]

    def module_symbol(self, module: ModPath) -> str:
        return self.symbol(*self.module_descriptors(module))

    def item_symbol(self, module: ModPath, descriptor: S.Descriptor) -> str:
        prefix = [S.Descriptor(m, S.NAMESPACE) for m in module]
        return self.symbol(*prefix, descriptor)

    @staticmethod
    def member_symbol(owner: str, descriptor: S.Descriptor) -> str:
        return owner + descriptor.format()

    # ---- registration --------------------------------------------------------------------

    def add(self, d: Def) -> Def:
        self.defs.append(d)
        self.by_symbol.setdefault(d.symbol, d)
        if d.kind == "module":
            self.modules[d.module] = d
        elif d.owner:
            self.members[d.owner][d.name].append(d)
        elif d.kind == "macro":
            self.macros[d.name].append(d)
        else:
            self.items[d.module][d.name].append(d)
            self.by_name[d.name].append(d)
        return d

    # ---- lookup --------------------------------------------------------------------------

    def find_item(self, module: ModPath, name: str, want: frozenset[str] | None = None,
                  _seen: frozenset[ModPath] = frozenset()) -> Def | None:
        """`name` as seen from `module`: its own items, its `use`s, its glob imports, a child
        module, then a crate-wide unique top-level item of that name."""
        found = self._in_module(module, name, want)
        if found is not None:
            return found
        if module in _seen:
            return None
        seen = _seen | {module}
        target = self.uses.get(module, {}).get(name)
        if target is not None:
            resolved = self.resolve_path(target, module, want, seen)
            if resolved is not None:
                return resolved
        for glob in self.wildcards.get(module, []):
            base = self.resolve_module(glob, module)
            if base is not None:
                found = self._in_module(base, name, want)
                if found is not None:
                    return found
        if (*module, name) in self.modules and (want is None or "module" in want):
            return self.modules[(*module, name)]
        candidates = [d for d in self.by_name.get(name, []) if want is None or d.kind in want]
        return candidates[0] if len(candidates) == 1 else None

    def _in_module(self, module: ModPath, name: str, want: frozenset[str] | None) -> Def | None:
        for d in self.items.get(module, {}).get(name, []):
            if want is None or d.kind in want:
                return d
        return None

    def resolve_module(self, path: tuple[str, ...], module: ModPath) -> ModPath | None:
        """A `use`-style module path (`crate::a`, `super::b`, `self::c`, `a::b`) as a ModPath."""
        current: ModPath | None = None
        for i, seg in enumerate(path):
            if i == 0 and seg == "crate":
                current = ()
            elif i == 0 and seg == "self":
                current = module
            elif seg == "super":
                base = module if current is None else current
                current = base[:-1]
            else:
                base = module if current is None else current
                if (*base, seg) in self.modules:
                    current = (*base, seg)
                elif current is None and (seg,) in self.modules:
                    current = (seg,)
                else:
                    return None
        return current

    def resolve_path(self, path: tuple[str, ...], module: ModPath,
                     want: frozenset[str] | None = None,
                     _seen: frozenset[ModPath] = frozenset()) -> Def | None:
        """The definition a path such as `crate::shapes::Circle` or `Circle::new` names."""
        if not path:
            return None
        if len(path) == 1:
            return self.find_item(module, path[0], want, _seen)
        base = self.resolve_module(path[:-1], module)
        if base is not None:
            last = path[-1]
            return self._in_module(base, last, want) or self.modules.get((*base, last))
        owner = self.resolve_path(path[:-1], module, TYPE_KINDS, _seen)
        if owner is not None:
            return self.member(owner.symbol, path[-1])
        return None

    def member(self, owner: str, name: str) -> Def | None:
        found = self.members.get(owner, {}).get(name, [])
        return found[0] if found else None

    def method_by_name(self, name: str, impl_owner: str = "") -> Def | None:
        """Resolve a method call whose receiver type is unknown: the current impl's own method,
        else the one trait that declares `name`, else the crate's only method of that name."""
        if impl_owner:
            own = self.member(impl_owner, name)
            if own is not None and own.kind in METHOD_KINDS:
                return own
        methods = [d for owner in self.members.values() for d in owner.get(name, [])
                   if d.kind in METHOD_KINDS]
        declared = [d for d in methods if d.kind == "trait_method"]
        if len(declared) == 1:
            return declared[0]
        return methods[0] if len(methods) == 1 else None

    def field_by_name(self, name: str, owner: str = "") -> Def | None:
        if owner:
            own = self.member(owner, name)
            if own is not None and own.kind == "field":
                return own
        fields = [d for o in self.members.values() for d in o.get(name, []) if d.kind == "field"]
        return fields[0] if len(fields) == 1 else None
