"""From parsed Lean operations to n8n terms: node groups, operations and typed properties.

Lean type → n8n property type: `Int`, `Nat`, `Float`, `UIntN`, `IntN` → number; `String`, `Char` →
string; `Bool` → boolean; an `inductive` enumeration of the file → options (its constructors);
`Option T` → T, not required (it goes into the operation's "Additional Fields" collection, as do
parameters written `(x : T := default)`); `Unit` → no property; anything else (lists, tuples,
structures, opaque types) → json. Type aliases (`abbrev LatLon := Float × Float`) are followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from toolorch.backends.n8n import style
from toolorch.backends.n8n.leanparse import LeanOperation, LeanSpec

_NUMBER = re.compile(r"^(Int|Nat|Float|Float32|UInt(8|16|32|64)|Int(8|16|32|64)|USize|ISize|Fin\s.*)$")
_STRING = {"String", "Char", "Substring"}


@dataclass(slots=True)
class N8nParam:
    name: str                      # the request body key (the Lean parameter name)
    display: str
    type: str                      # n8n property type
    default: Any
    required: bool
    lean_type: str
    options: list[str] = field(default_factory=list)


@dataclass(slots=True)
class N8nOperation:
    value: str                     # the Lean full name; also the URL path of the call
    name: str                      # display name
    description: str
    params: list[N8nParam]
    result: str

    @property
    def required(self) -> list[N8nParam]:
        return [p for p in self.params if p.required]

    @property
    def optional(self) -> list[N8nParam]:
        return [p for p in self.params if not p.required]


@dataclass(slots=True)
class NodeGroup:
    group: str                     # the Lean namespace
    class_name: str                # ShapesGeometry
    node_name: str                 # shapesGeometry
    display_name: str              # Shapes Geometry
    operations: list[N8nOperation]


def humanize(name: str) -> str:
    """`total_area` / `totalArea` / `lat1` → `Total Area` / `Total Area` / `Lat 1`."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z0-9])|_+", " ", name.strip("_")).strip()
    return " ".join(w[:1].upper() + w[1:] for w in spaced.split()) or name


def camel_words(parts: list[str]) -> str:
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    return "".join(w[:1].upper() + w[1:] for w in words)


def first_paragraph(doc: str) -> str:
    para = doc.strip().split("\n\n")[0].strip()
    if para.startswith("Source"):
        return ""
    return " ".join(para.split())[:300]


def _strip_parens(t: str) -> str:
    t = t.strip()
    while t.startswith("(") and t.endswith(")"):
        depth = 0
        for i, ch in enumerate(t):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and i < len(t) - 1:
                return t
        t = t[1:-1].strip()
    return t


def map_type(lean_type: str, spec: LeanSpec, namespace: str = "",
             depth: int = 0) -> tuple[str, Any, list[str], bool] | None:
    """(n8n type, default, options, optional) for a Lean type written inside `namespace`;
    None for `Unit` (no property)."""
    t = _strip_parens(lean_type)
    optional = False
    if t.startswith("Option "):
        t, optional = _strip_parens(t[len("Option "):]), True
    if t in ("Unit", "PUnit"):
        return None
    alias = spec.find_alias(t, namespace)
    if alias is not None and depth < 8:
        mapped = map_type(alias[0], spec, alias[1], depth + 1)
        if mapped is not None:
            return mapped[0], mapped[1], mapped[2], optional or mapped[3]
    if _NUMBER.match(t):
        return "number", 0, [], optional
    if t in _STRING:
        return "string", "", [], optional
    if t == "Bool":
        return "boolean", False, [], optional
    enum = spec.find_enum(t, namespace)
    if enum:
        return "options", enum[0], list(enum), optional
    return "json", "[]" if t.startswith(("List ", "Array ")) else "{}", [], optional


def _operation(op: LeanOperation, spec: LeanSpec) -> N8nOperation:
    params: list[N8nParam] = []
    for p in op.params:
        mapped = map_type(p.type, spec, op.group)
        if mapped is None:
            continue
        kind, default, options, optional = mapped
        params.append(N8nParam(name=p.name, display=style.display_name(humanize(p.name)), type=kind, default=default,
                               required=not (optional or p.optional), lean_type=p.type, options=options))
    name = style.display_name(humanize(op.name))
    doc = style.description(first_paragraph(op.doc))
    if not doc or doc.casefold() == name.casefold():
        doc = f"Call {op.full_name}"
    return N8nOperation(value=op.full_name, name=name, description=doc, params=params, result=op.result)


def plan_groups(spec: LeanSpec, operations: list[LeanOperation] | None = None) -> list[NodeGroup]:
    """One node per Lean namespace that declares operations (of `operations`, default all of
    the spec's), in first-appearance order. Node names drop the namespace prefix every group
    shares (keeping the project root)."""
    by_group: dict[str, list[LeanOperation]] = {}
    for op in spec.operations if operations is None else operations:
        by_group.setdefault(op.group, []).append(op)
    names = list(by_group)
    if not names:
        return []
    split = [g.split(".") for g in names]
    common = 0
    while all(len(s) > common + 1 for s in split) and len({s[common] for s in split}) == 1:
        common += 1
    root = split[0][0]
    groups: list[NodeGroup] = []
    taken: set[str] = set()
    for name, parts in zip(names, split, strict=True):
        rel = parts[common:] or parts[-1:]
        words = rel if rel[0] == root else [root, *rel]
        class_name = camel_words(words) or "Spec"
        if class_name[0].isdigit():
            class_name = "N" + class_name
        base, n = class_name, 1
        while class_name in taken:
            n += 1
            class_name = f"{base}{n}"
        taken.add(class_name)
        ops: list[N8nOperation] = []
        seen: set[str] = set()
        for op in by_group[name]:
            if op.full_name not in seen:
                seen.add(op.full_name)
                ops.append(_operation(op, spec))
        groups.append(NodeGroup(group=name, class_name=class_name,
                                node_name=class_name[0].lower() + class_name[1:],
                                display_name=style.display_name(" ".join(humanize(w) for w in words)), operations=ops))
    return groups
