"""The type table: source types (Python, TypeScript, Rust) → Lean 4 types.

| source | Python | TypeScript | Rust | Lean |
|---|---|---|---|---|
| integer | `int` | `bigint` | `i8`…`i128`, `isize` | `Int` |
| natural | | | `u8`…`u128`, `usize` | `Nat` |
| float | `float` | `number` | `f32`, `f64` | `Float` |
| text | `str` | `string` | `String`, `str`, `&str` | `String` |
| character | | | `char` | `Char` |
| boolean | `bool` | `boolean`, `true`/`false` | `bool` | `Bool` |
| bytes | `bytes`, `bytearray` | `Uint8Array` | | `ByteArray` |
| nothing | `None` | `void`, `undefined`, `null` | `()` | `Unit` |
| sequence | `list[T]`, `List`, `Sequence`, `Iterable`, `set`, `frozenset`, `tuple[T, ...]` | `T[]`, `Array<T>`, `ReadonlyArray`, `Set`, `Iterable` | `Vec<T>`, `&[T]`, `[T; N]`, `VecDeque`, `HashSet`, `BTreeSet`, `impl Iterator<Item=T>` | `List T` |
| map | `dict[K, V]`, `Dict`, `Mapping` | `Map<K, V>`, `Record<K, V>` | `HashMap<K, V>`, `BTreeMap` | `List (K × V)` |
| optional | `Optional[T]`, `T \\| None` | `T \\| undefined`, `T \\| null`, `x?: T` | `Option<T>` | `Option T` |
| tuple | `tuple[A, B]` | `[A, B]` | `(A, B)` | `A × B` |
| union | `Union[A, B]`, `A \\| B` | `A \\| B` | | `A ⊕ B` |
| literals | `Literal["a", "b"]` | `'a' \\| 'b'`, `1 \\| 2` | | `String`, `Float`/`Int` |
| result | | | `Result<T, E>` | `Except E T` |
| function | `Callable[[A, B], R]` | `(a: A, b: B) => R` | `fn(A) -> R`, `impl Fn(A) -> R` | `A → B → R` |
| wrappers | `Awaitable[T]`, `Coroutine[.., .., T]`, `Final[T]`, `ClassVar[T]`, `Annotated[T, ..]` | `Promise<T>`, `Readonly<T>`, `Partial<T>` | `Box<T>`, `Rc`, `Arc`, `Cell`, `RefCell`, `Mutex`, `Cow`, `&T`, `&mut T` | `T` |
| own types | a class in the index | a class / interface / enum in the index | a struct / enum / trait / type alias in the index | its `structure` / `inductive` / opaque type |
| generics | | `<T>` | `<T: Bound>` | `{T : Type} [Inhabited T]` |
| anything else | `Any`, `object`, unannotated, unknown classes | `any`, `unknown`, object literals... | unknown paths | `Unknown_<Name>`: an opaque type declared once per module |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from toolorch.backends.lean4.typeexpr import (
    TArray,
    TFunc,
    TLiteral,
    TName,
    TRaw,
    TTuple,
    TUnion,
    TypeExpr,
    parse_type,
)

# Precedence of a rendered Lean type: where it needs parentheses.
ARROW, SUM, PROD, APP, ATOM = 0, 1, 2, 3, 4

_SCALARS: dict[str, dict[str, str]] = {
    "python": {"int": "Int", "float": "Float", "str": "String", "bool": "Bool", "bytes": "ByteArray",
               "bytearray": "ByteArray", "None": "Unit", "NoneType": "Unit"},
    "typescript": {"number": "Float", "bigint": "Int", "string": "String", "boolean": "Bool",
                   "void": "Unit", "undefined": "Unit", "null": "Unit", "Uint8Array": "ByteArray",
                   "String": "String", "Number": "Float", "Boolean": "Bool"},
    "rust": {**{f"i{n}": "Int" for n in (8, 16, 32, 64, 128)}, "isize": "Int",
             **{f"u{n}": "Nat" for n in (8, 16, 32, 64, 128)}, "usize": "Nat",
             "f32": "Float", "f64": "Float", "bool": "Bool", "char": "Char", "str": "String",
             "String": "String", "OsString": "String", "PathBuf": "String", "Path": "String"},
}
_SEQUENCES: dict[str, frozenset[str]] = {
    "python": frozenset({"list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator",
                         "Collection", "set", "Set", "frozenset", "FrozenSet", "AbstractSet",
                         "MutableSet", "deque", "Deque", "Generator"}),
    "typescript": frozenset({"Array", "ReadonlyArray", "Set", "ReadonlySet", "Iterable",
                             "IterableIterator", "Iterator", "AsyncIterable"}),
    "rust": frozenset({"Vec", "VecDeque", "LinkedList", "HashSet", "BTreeSet", "BinaryHeap",
                       "Iterator", "IntoIterator", "IndexSet"}),
}
_MAPS: dict[str, frozenset[str]] = {
    "python": frozenset({"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict",
                         "OrderedDict", "Counter"}),
    "typescript": frozenset({"Map", "ReadonlyMap", "Record", "WeakMap"}),
    "rust": frozenset({"HashMap", "BTreeMap", "IndexMap"}),
}
#: Wrappers that are the wrapped type; the value is which argument (-1 = last).
_TRANSPARENT: dict[str, dict[str, int]] = {
    "python": {"Awaitable": 0, "Coroutine": -1, "Final": 0, "ClassVar": 0, "Annotated": 0,
               "Required": 0, "NotRequired": 0, "ReadOnly": 0, "Type": 0, "type": 0},
    "typescript": {"Promise": 0, "PromiseLike": 0, "Readonly": 0, "Partial": 0, "Required": 0,
                   "NonNullable": 0, "Awaited": 0},
    "rust": {"Box": 0, "Rc": 0, "Arc": 0, "Cell": 0, "RefCell": 0, "Mutex": 0, "RwLock": 0,
             "Cow": 0, "Pin": 0, "Weak": 0},
}
_NONE_NAMES = frozenset({"None", "NoneType", "undefined", "null", "void"})
_STRIP_PREFIXES = ("typing.", "typing_extensions.", "collections.abc.", "collections.", "builtins.",
                   "std::collections::", "std::", "core::", "alloc::")


@dataclass(slots=True)
class TypeScope:
    """What a mapping may refer to besides the table, and where unknown types are collected.

    `resolve(name)` returns the Lean name of a type defined in the index (a structure...) or None;
    `unknown(label)` declares (once) and returns the opaque type standing for an unmapped type."""

    language: str
    resolve: Callable[[str], str | None]
    unknown: Callable[[str], str]
    type_params: dict[str, str] = field(default_factory=dict)
    self_type: str | None = None


def _simple(name: str) -> str:
    for prefix in _STRIP_PREFIXES:
        name = name.removeprefix(prefix)
    return name


def _wrap(text_prec: tuple[str, int], at_least: int) -> str:
    text, prec = text_prec
    return text if prec >= at_least else f"({text})"


class LeanTypeMapper:
    """Maps parsed source types to Lean type text (see the module docstring for the table)."""

    def __init__(self, scope: TypeScope) -> None:
        self.scope = scope
        self.lang = scope.language

    def map_text(self, text: str) -> str:
        """Map an annotation given as text ("" = unannotated → `Unknown_Any`)."""
        if not text.strip():
            return self.scope.unknown("Any")
        return self.map(parse_type(text, self.lang))

    def map(self, t: TypeExpr) -> str:
        return self._map(t)[0]

    def _app(self, head: str, *args: TypeExpr) -> tuple[str, int]:
        return " ".join([head, *(_wrap(self._map(a), ATOM) for a in args)]), APP

    def _map(self, t: TypeExpr) -> tuple[str, int]:
        lang = self.lang
        if isinstance(t, TRaw):
            return self.scope.unknown(t.text or "Any"), ATOM
        if isinstance(t, TLiteral):
            if lang == "python" and t.kind == "string":  # a quoted forward reference
                return self._map(parse_type(t.text[1:-1], lang))
            return {"string": "String", "bool": "Bool"}.get(
                t.kind, "Int" if lang != "typescript" and "." not in t.text else "Float"), ATOM
        if isinstance(t, TArray):
            return self._app("List", t.elem)
        if isinstance(t, TTuple):
            return self._tuple(t.items)
        if isinstance(t, TFunc):
            parts = [_wrap(self._map(p), SUM) for p in t.params]
            return " → ".join([*parts, _wrap(self._map(t.result), ARROW)]), ARROW
        if isinstance(t, TUnion):
            return self._union(t.items)
        return self._named(t)

    def _tuple(self, items: tuple[TypeExpr, ...]) -> tuple[str, int]:
        if not items:
            return "Unit", ATOM
        if len(items) == 1:
            return self._map(items[0])
        return " × ".join(_wrap(self._map(i), APP) for i in items), PROD

    def _union(self, items: tuple[TypeExpr, ...]) -> tuple[str, int]:
        present = [i for i in items if not (isinstance(i, TName) and i.name in _NONE_NAMES)]
        optional = len(present) < len(items)
        if not present:
            return "Unit", ATOM
        literal_kinds = {i.kind for i in present if isinstance(i, TLiteral)}
        if len(literal_kinds) == 1 and all(isinstance(i, TLiteral) for i in present):
            inner: tuple[str, int] = self._map(present[0])
        elif len(present) == 1:
            inner = self._map(present[0])
        else:
            mapped = [self._map(i) for i in present]
            if len({m[0] for m in mapped}) == 1:
                inner = mapped[0]
            else:
                inner = " ⊕ ".join(_wrap(m, PROD) for m in mapped), SUM
        if optional:
            return f"Option {_wrap(inner, ATOM)}", APP
        return inner

    def _named(self, t: TName) -> tuple[str, int]:
        lang = self.lang
        name = _simple(t.name)
        last = name.split("::")[-1].split(".")[-1]
        args = t.args
        if name in self.scope.type_params:
            return self.scope.type_params[name], ATOM
        if name == "Self" and self.scope.self_type:
            return self.scope.self_type, ATOM
        if name in _SCALARS.get(lang, {}):
            return _SCALARS[lang][name], ATOM
        if last in _TRANSPARENT.get(lang, {}) and args:
            return self._map(args[_TRANSPARENT[lang][last]])
        if last in _SEQUENCES.get(lang, {}):
            return self._app("List", args[0]) if args else (f"List {self.scope.unknown('Any')}", APP)
        if last in _MAPS.get(lang, {}):
            if len(args) >= 2:
                return f"List ({self._tuple(args[:2])[0]})", APP
            return f"List ({self.scope.unknown('Any')} × {self.scope.unknown('Any')})", APP
        if lang == "python":
            if last == "Optional" and args:
                return f"Option {_wrap(self._map(args[0]), ATOM)}", APP
            if last == "Union" and args:
                return self._union(args)
            if last in ("tuple", "Tuple"):
                if len(args) == 2 and args[1] == TName("..."):
                    return self._app("List", args[0])
                return self._tuple(args)
            if last == "Literal" and args:
                kinds = {a.kind for a in args if isinstance(a, TLiteral)}
                if len(kinds) == 1 and all(isinstance(a, TLiteral) for a in args):
                    return {"string": "String", "bool": "Bool"}.get(kinds.pop(), "Int"), ATOM
                return self.scope.unknown(name), ATOM
        if lang == "rust":
            if last == "Option" and args:
                return f"Option {_wrap(self._map(args[0]), ATOM)}", APP
            if last == "Result" and args:
                err = args[1] if len(args) > 1 else TName("Error")
                return f"Except {_wrap(self._map(err), ATOM)} {_wrap(self._map(args[0]), ATOM)}", APP
        segments = name.replace("::", ".").split(".")
        if lang == "typescript" and len(segments) >= 2:
            enum = self.scope.resolve(segments[-2])   # `ShapeKind.Square`: an enum member's type
            if enum is not None:
                return enum, ATOM
        found = self.scope.resolve(last)
        if found is not None:
            return found, ATOM
        label = name if not args else f"{name}_{'_'.join(self.map(a) for a in args)}"
        return self.scope.unknown(label), ATOM
