"""Pass 2 of the Rust indexer: references, resolved by name within the crate.

No type inference: a path (`crate::shapes::Circle`, `Circle::new`, `Self::new`) is resolved
segment by segment through modules, `use` imports and type members; a bare name through the
current module, its imports and globs, then a crate-wide unique item; a method call `x.area()`
through the current impl (for `self`), else the one trait declaring `area`, else the crate's only
method of that name; a field likewise. Names bound locally (parameters, `let`, patterns) are not
resolved, and what cannot be resolved is left out rather than guessed.
"""

from __future__ import annotations

from typing import Any

from toolorch.backends.scip.rust_items import FileUnit, path_segments, rng, text, type_name
from toolorch.backends.scip.rust_model import TYPE_KINDS, VALUE_KINDS, Crate, Def, ModPath
from toolorch.scip.model import IMPORT, Occurrence

Node = Any

_SKIP = {"attribute_item", "inner_attribute_item", "line_comment", "block_comment",
         "string_literal", "raw_string_literal", "char_literal"}
_BINDERS = {"parameter": "pattern", "let_declaration": "pattern", "for_expression": "pattern",
            "let_condition": "pattern", "match_pattern": None, "closure_parameters": None}
_PATH_TYPES = {"scoped_identifier", "scoped_type_identifier"}
_VALUE_OR_TYPE = VALUE_KINDS | TYPE_KINDS


Bounds = dict[str, tuple[str, ...]]


def trait_bounds(node: Node, outer: Bounds) -> Bounds:
    """The trait bounds of an item's generic parameters (`<T: A + B>` and `where T: A`), added
    to those of the enclosing item; a parameter declared again without bounds shadows."""
    out = dict(outer)
    params = node.child_by_field_name("type_parameters")
    for param in params.named_children if params is not None else []:
        name = param.child_by_field_name("name")
        if param.type == "type_parameter" and name is not None:
            out[text(name)] = _bound_names(param.child_by_field_name("bounds"))
    for child in node.named_children:
        if child.type != "where_clause":
            continue
        for pred in child.named_children:
            left = pred.child_by_field_name("left")
            if pred.type == "where_predicate" and left is not None and left.type == "type_identifier":
                key = text(left)
                out[key] = (*out.get(key, ()), *_bound_names(pred.child_by_field_name("bounds")))
    return {k: v for k, v in out.items() if v}


def _bound_names(bounds: Node | None) -> tuple[str, ...]:
    if bounds is None:
        return ()
    return tuple(type_name(b) for b in bounds.named_children if type_name(b))


def bound_names(fn: Node) -> set[str]:
    """Identifiers a function binds locally (params, `let`, `for`, match and closure patterns)."""
    names: set[str] = set()
    stack = [fn]
    while stack:
        node = stack.pop()
        if node.type in _BINDERS:
            field = _BINDERS[node.type]
            pattern = node.child_by_field_name(field) if field else node
            if pattern is not None:
                _pattern_names(pattern, names)
        stack.extend(node.named_children)
    return names


def _pattern_names(node: Node, out: set[str]) -> None:
    if node.type == "identifier":
        out.add(text(node))
        return
    if node.type in _PATH_TYPES:
        return
    for i, child in enumerate(node.children):
        if node.field_name_for_child(i) == "type":  # `Some` in `Some(x)`
            continue
        _pattern_names(child, out)


class RefResolver:
    """Emits reference occurrences for one file."""

    def __init__(self, crate: Crate, unit: FileUnit) -> None:
        self.crate, self.unit = crate, unit
        self.out: list[Occurrence] = []
        self.bounds: Bounds = {}       # generic parameter -> trait names, of the node at hand

    def emit(self, node: Node, d: Def | None, roles: int = 0) -> None:
        if d is not None and node.start_byte not in self.unit.def_names:
            self.out.append(Occurrence(d.symbol, rng(node), roles))

    def run(self) -> list[Occurrence]:
        stack: list[tuple[Node, ModPath, str, frozenset[str], Bounds]] = [
            (self.unit.tree.root_node, self.unit.module, "", frozenset(), {})]
        while stack:
            node, module, owner, local, bounds = stack.pop()
            self.bounds = bounds
            t = node.type
            if t in _SKIP:
                continue
            if t in ("function_item", "impl_item", "trait_item"):
                bounds = trait_bounds(node, bounds)
            if t == "mod_item":
                name = node.child_by_field_name("name")
                if name is not None and node.child_by_field_name("body") is not None:
                    module = (*module, text(name))
            elif t == "impl_item":
                owner = self._impl_owner(node, module)
            elif t == "trait_item":          # `Self::f` in a default method is the trait's `f`
                name = node.child_by_field_name("name")
                found = self.crate.find_item(module, text(name), TYPE_KINDS) if name else None
                owner = found.symbol if found else ""
            elif t == "function_item":
                local = frozenset(bound_names(node))
            elif t == "use_declaration":
                self.use(node.child_by_field_name("argument"), (), module)
                continue
            elif t in _PATH_TYPES:
                self.path(node, module, owner)
                continue
            elif node.child_count == 0:
                self.leaf(node, module, owner, local)
                continue
            stack.extend((c, module, owner, local, bounds) for c in reversed(node.children))
        return self.out

    def _impl_owner(self, node: Node, module: ModPath) -> str:
        type_node = node.child_by_field_name("type")
        tname = type_name(type_node)
        if not tname:
            return ""
        found = self.crate.find_item(module, tname, TYPE_KINDS)
        return found.symbol if found else ""

    # ---- paths -------------------------------------------------------------------------------

    def path(self, node: Node, module: ModPath, owner: str, roles: int = 0) -> None:
        """`a::b::c`: a reference for every segment that resolves (the last with `roles`)."""
        leaves = _path_leaves(node)
        segs = tuple(text(n) for n in leaves)
        for i, leaf in enumerate(leaves):
            d = self.resolve(segs[: i + 1], module, owner)
            self.emit(leaf, d, roles if i == len(leaves) - 1 else 0)
        # generic arguments inside a path (`Vec::<Circle>::new`) are still visited
        for child in node.named_children:
            if child.type in ("type_arguments", "generic_type"):
                self._visit_sub(child, module, owner)

    def _visit_sub(self, node: Node, module: ModPath, owner: str) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in _PATH_TYPES:
                self.path(n, module, owner)
            elif n.child_count == 0:
                self.leaf(n, module, owner, frozenset())
            else:
                stack.extend(n.children)

    def resolve(self, segs: tuple[str, ...], module: ModPath, owner: str) -> Def | None:
        if segs and segs[0] == "Self":
            base = self.crate.by_symbol.get(owner)
            if base is None or len(segs) == 1:
                return base
            d: Def | None = base
            for seg in segs[1:]:
                d = self.crate.member(d.symbol, seg) if d is not None else None
            return d
        if len(segs) == 2 and segs[0] in self.bounds:
            return self._through_bounds(segs[0], segs[1], module)
        if segs[0] in ("crate", "self", "super") and len(segs) == 1:
            return None
        target = self.crate.resolve_module(segs, module)
        if target is not None and target in self.crate.modules and segs[-1] not in ("self", "super"):
            return self.crate.modules[target]
        return self.crate.resolve_path(segs, module)

    def _through_bounds(self, param: str, name: str, module: ModPath) -> Def | None:
        """`T::f` with `T: A + B`: the `f` of the one bound trait of the crate that has it."""
        found = []
        for trait in self.bounds[param]:
            d = self.crate.find_item(module, trait, TYPE_KINDS)
            member = self.crate.member(d.symbol, name) if d is not None else None
            if member is not None:
                found.append(member)
        return found[0] if len(found) == 1 else None

    def use(self, node: Node | None, prefix: tuple[str, ...], module: ModPath,
            roles: int = IMPORT) -> None:
        """References for a `use` tree; the imported names (last segments) get `roles`."""
        if node is None:
            return
        t = node.type
        if t in ("identifier", "scoped_identifier"):
            leaves = _path_leaves(node)
            segs = (*prefix, *(text(n) for n in leaves))
            for i, leaf in enumerate(leaves):
                upto = segs[: len(prefix) + i + 1]
                d = self.resolve(upto, module, "")
                self.emit(leaf, d, roles if i == len(leaves) - 1 else 0)
        elif t == "use_as_clause":
            self.use(node.child_by_field_name("path"), prefix, module)
        elif t == "use_wildcard":
            inner = node.named_children[0] if node.named_children else None
            if inner is not None and inner.type in ("identifier", "scoped_identifier"):
                self.use(inner, prefix, module)
        elif t == "scoped_use_list":
            path = node.child_by_field_name("path")
            self.use(path, prefix, module, roles=0)
            self.use(node.child_by_field_name("list"), (*prefix, *path_segments(path)), module)
        elif t == "use_list":
            for child in node.named_children:
                self.use(child, prefix, module)

    # ---- single names ------------------------------------------------------------------------

    def leaf(self, node: Node, module: ModPath, owner: str, local: frozenset[str]) -> None:
        t = node.type
        if t not in ("identifier", "type_identifier", "field_identifier"):
            return
        name = text(node)
        parent = node.parent
        ptype = parent.type if parent is not None else ""
        if t == "field_identifier":
            self.emit(node, self._field_or_method(node, parent, name, module, owner))
        elif t == "type_identifier":
            if name == "Self":
                self.emit(node, self.crate.by_symbol.get(owner))
            else:
                self.emit(node, self.crate.find_item(module, name, TYPE_KINDS))
        elif ptype == "macro_invocation":
            found = self.crate.macros.get(name, [])
            self.emit(node, found[0] if len(found) == 1 else None)
        elif ptype == "shorthand_field_initializer":
            struct = _struct_of(parent)
            if struct is not None:
                d = self.crate.find_item(module, struct, TYPE_KINDS)
                self.emit(node, self.crate.member(d.symbol, name) if d else None)
        elif ptype == "token_tree" and _token_path(node):
            self.emit(node, self.resolve((*_token_path(node), name), module, owner))
        elif name not in local and name != "self":
            want = _VALUE_OR_TYPE if ptype == "token_tree" else VALUE_KINDS
            self.emit(node, self.crate.find_item(module, name, want))

    def _field_or_method(self, node: Node, parent: Node | None, name: str, module: ModPath,
                         owner: str) -> Def | None:
        if parent is None:
            return None
        if parent.type == "field_expression":
            value = parent.child_by_field_name("value")
            on_self = value is not None and value.type == "self"
            grand = parent.parent
            is_call = (grand is not None and grand.type == "call_expression"
                       and grand.child_by_field_name("function") == parent)
            if is_call:
                return self.crate.method_by_name(name, owner if on_self else "")
            return self.crate.field_by_name(name, owner if on_self else "")
        if parent.type == "field_initializer":
            struct = _struct_of(parent)
            d = self.crate.find_item(module, struct, TYPE_KINDS) if struct else None
            return self.crate.member(d.symbol, name) if d else None
        return None


def _path_leaves(node: Node) -> list[Node]:
    if node.type in _PATH_TYPES:
        out: list[Node] = []
        for field in ("path", "name"):
            child = node.child_by_field_name(field)
            if child is not None:
                out.extend(_path_leaves(child))
        return out
    if node.type == "generic_type":
        inner = node.child_by_field_name("type")
        return _path_leaves(inner) if inner is not None else []
    return [node]


def _token_path(node: Node) -> tuple[str, ...]:
    """Inside a macro's token tree, the `a::b::` before `node` (macros are not parsed)."""
    segs: list[str] = []
    prev = node.prev_sibling
    while (prev is not None and prev.type == "::" and prev.prev_sibling is not None
           and prev.prev_sibling.type in ("identifier", "crate", "self", "super")):
        segs.insert(0, text(prev.prev_sibling))
        prev = prev.prev_sibling.prev_sibling
    return tuple(segs)


def _struct_of(initializer: Node) -> str:
    """The struct name of the `S { .. }` expression around a field initializer."""
    node = initializer.parent  # field_initializer_list
    expr = node.parent if node is not None else None
    if expr is None or expr.type != "struct_expression":
        return ""
    name = expr.child_by_field_name("name")
    return type_name(name) if name is not None else ""

