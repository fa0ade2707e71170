"""The five predicates of glean_query_code and how each maps onto the fact store's tables.

| predicate         | facts                                   | fields (type)                                 |
|-------------------|-----------------------------------------|-----------------------------------------------|
| code.File         | one per indexed file (`files`)          | path, language                                |
| code.Symbol       | one per symbol with information         | symbol, name, kind, signature, documentation, |
|                   | (`symbols`)                             | file→code.File, line, col, end_line,          |
|                   |                                         | enclosing→code.Symbol                         |
| code.Definition   | each defining occurrence                | symbol→code.Symbol, name, kind, file→code.File,|
|                   | (`occurrences`, is_definition = 1)      | line, col, end_line                           |
| code.Reference    | each non-defining occurrence            | symbol→code.Symbol, name, file→code.File,     |
|                   | (`occurrences`, is_definition = 0)      | line, col, end_line, end_col                  |
| code.Relationship | each SCIP relationship (`relationships`)| symbol→code.Symbol, target→code.Symbol, kind  |

Lines are 1-based; `col` is 0-based (SCIP's character offset). `kind` of a symbol is a lower-case
SCIP kind name ("function", "method", "class", "struct", "trait", ...); `kind` of a relationship
is "reference", "implementation", "type_definition" or "definition" (an `implementation` fact
`{symbol = S, target = T}` says S implements T: `impl Shape for Circle` gives Circle → Shape).
`name` and `kind` of a definition or reference are those of the symbol it names (null when the
index has no information on that symbol).

**Nesting.** A field marked `→P` holds the key of a P fact: the symbol string (key of
code.Symbol) or the file path (key of code.File). Its value may be a nested pattern, either
`P {...}` or a bare record `{...}` (the predicate is then the field's), meaning "the key in this
field is the key of some P fact matching the nested pattern":
`code.Reference { symbol = code.Symbol { name = "area" } }` is every reference to a symbol named
area; `code.Definition { file = { language = "rust" } }` every definition in a Rust file. A
variable bound to a whole P fact (`S = code.Symbol {...}`) may be used in such a field the same
way. (The fact store skips SCIP local symbols, so a symbol string is a project-wide key.)
"""

from __future__ import annotations

from dataclasses import dataclass

STRING, INT = "string", "int"


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of a predicate: its type, its SQL expression over the alias `{a}`, and (for a
    nestable field) the predicate whose key it holds."""

    name: str
    type: str
    column: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class PredicateDef:
    """A predicate: the FROM fragment (alias `{a}`), a fixed condition, fields in output order,
    the key field others refer to (None: identity is the row), and the result order."""

    name: str
    source: str
    condition: str | None
    fields: tuple[FieldDef, ...]
    key: str | None
    order: tuple[str, ...] = ()
    doc: str = ""

    def field(self, name: str) -> FieldDef | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def ordered_fields(self) -> list[FieldDef]:
        """Fields in result order: `order` first (file, line, ...), then the rest, so that the
        order of distinct facts is total and deterministic."""
        first = [f for name in self.order for f in self.fields if f.name == name]
        return first + [f for f in self.fields if f not in first]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def key_expr(self, alias: str) -> str:
        """The SQL expression that identifies a fact of this predicate (for joins and variables)."""
        if self.key is None:
            return f"{alias}.rowid"
        found = self.field(self.key)
        assert found is not None
        return found.column.format(a=alias)


# An occurrence with the information on its symbol (name, kind, definition site).
_SYMBOL_INFO = (
    "occurrences AS {a} LEFT JOIN symbols AS {a}_s "
    "ON {a}_s.project = {a}.project AND {a}_s.symbol = {a}.symbol"
)

PREDICATES: dict[str, PredicateDef] = {
    p.name: p
    for p in (
        PredicateDef(
            name="code.File",
            source="files AS {a}",
            condition=None,
            fields=(
                FieldDef("path", STRING, "{a}.path"),
                FieldDef("language", STRING, "{a}.language"),
            ),
            key="path",
            doc="An indexed source file: its path (relative to the project root) and language.",
        ),
        PredicateDef(
            name="code.Symbol",
            source="symbols AS {a}",
            condition=None,
            fields=(
                FieldDef("symbol", STRING, "{a}.symbol"),
                FieldDef("name", STRING, "{a}.name"),
                FieldDef("kind", STRING, "{a}.kind"),
                FieldDef("file", STRING, "{a}.path", ref="code.File"),
                FieldDef("line", INT, "{a}.line"),
                FieldDef("col", INT, "{a}.col"),
                FieldDef("end_line", INT, "{a}.end_line"),
                FieldDef("signature", STRING, "{a}.signature"),
                FieldDef("documentation", STRING, "{a}.documentation"),
                FieldDef("enclosing", STRING, "{a}.enclosing_symbol", ref="code.Symbol"),
            ),
            key="symbol",
            order=("file", "line", "col", "symbol"),
            doc="A symbol the index has information on: SCIP symbol string, display name, kind, "
                "where it is defined (null for external symbols), signature and documentation.",
        ),
        PredicateDef(
            name="code.Definition",
            source=_SYMBOL_INFO,
            condition="{a}.is_definition = 1",
            fields=(
                FieldDef("symbol", STRING, "{a}.symbol", ref="code.Symbol"),
                FieldDef("name", STRING, "{a}_s.name"),
                FieldDef("kind", STRING, "{a}_s.kind"),
                FieldDef("file", STRING, "{a}.path", ref="code.File"),
                FieldDef("line", INT, "{a}.line"),
                FieldDef("col", INT, "{a}.col"),
                FieldDef("end_line", INT,
                         "CASE WHEN {a}_s.line = {a}.line AND {a}_s.path = {a}.path "
                         "THEN coalesce({a}_s.end_line, {a}.end_line) ELSE {a}.end_line END"),
            ),
            key=None,
            order=("file", "line", "col", "symbol"),
            doc="A defining occurrence of a symbol; end_line is the last line of the definition "
                "(its body) when the index records it.",
        ),
        PredicateDef(
            name="code.Reference",
            source=_SYMBOL_INFO,
            condition="{a}.is_definition = 0",
            fields=(
                FieldDef("symbol", STRING, "{a}.symbol", ref="code.Symbol"),
                FieldDef("name", STRING, "{a}_s.name"),
                FieldDef("file", STRING, "{a}.path", ref="code.File"),
                FieldDef("line", INT, "{a}.line"),
                FieldDef("col", INT, "{a}.col"),
                FieldDef("end_line", INT, "{a}.end_line"),
                FieldDef("end_col", INT, "{a}.end_col"),
            ),
            key=None,
            order=("file", "line", "col", "symbol"),
            doc="A non-defining occurrence (a use, an import) of a symbol.",
        ),
        PredicateDef(
            name="code.Relationship",
            source="relationships AS {a}",
            condition=None,
            fields=(
                FieldDef("symbol", STRING, "{a}.symbol", ref="code.Symbol"),
                FieldDef("target", STRING, "{a}.target", ref="code.Symbol"),
                FieldDef("kind", STRING, "{a}.kind"),
            ),
            key=None,
            doc="A SCIP relationship from symbol to target: kind implementation, reference, "
                "type_definition or definition.",
        ),
    )
}


def describe_schema() -> dict[str, list[str]]:
    """{predicate: [field, ...]}: what a user may query (shown in errors and tool output)."""
    return {name: p.field_names for name, p in PREDICATES.items()}
