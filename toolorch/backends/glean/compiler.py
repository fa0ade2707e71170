"""Translate a parsed Angle-subset query into one SQLite SELECT with bound parameters.

Semantics (close to Angle's `X where ...`):

- Every fact pattern outside alternatives, at statement level or nested in a field, is one
  table alias in a single join; all statements hold at once (a conjunction), so variables join
  across statements and nesting levels regardless of their order.
- A variable (upper-case) is bound by its first use in a field outside alternatives, or by a
  statement `V = code.Pred {...}` (then it stands for the whole fact, and may be used in any field
  that refers to that predicate, compared by the fact's key). Every further use is an equality.
  A variable used only inside alternatives, or never used in a field, is an error.
- `a | b` inside a record is a disjunction; nested fact patterns inside it become
  `key IN (SELECT ...)` sub-queries, and variables in it must be bound elsewhere.
- `V = pattern` with a non-fact pattern is a constraint on V (e.g. `N = "area" | "perimeter"`).
- The result is the head variable of `V where ...`, or else the value of the last statement: its
  facts (deduplicated, since equal facts are the same fact in Glean) or the variable's values.

User values only ever reach SQL as named parameters; identifiers come from `schema.py`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from toolorch.backends.glean.schema import INT, PREDICATES, STRING, PredicateDef
from toolorch.backends.glean.syntax import (
    Alt,
    Fact,
    Num,
    Pattern,
    Prefix,
    Query,
    Record,
    Statement,
    Str,
    Var,
    Wildcard,
    describe,
    query_error,
)
from toolorch.errors import QueryError

#: Most table aliases in one query (SQLite joins at most 64 tables).
MAX_ALIASES = 32


@dataclass(slots=True)
class Binding:
    """What a variable stands for: a value expression, or (predicate set) a whole fact."""

    name: str
    type: str
    expr: str
    pos: int
    predicate: PredicateDef | None = None
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A place a pattern is matched against: a field of an alias, or a bound variable."""

    expr: str
    type: str
    label: str
    ref: str | None = None


@dataclass(slots=True)
class CompiledQuery:
    """The SELECT, its parameters, and how to turn its rows into results."""

    sql: str
    params: dict[str, object]
    predicate: PredicateDef | None      # facts of this predicate, or values of `variable`
    variable: str | None
    columns: list[str]
    predicates_used: list[str] = field(default_factory=list)


class Compiler:
    """One instance per query: collects FROM fragments, conditions and parameters."""

    def __init__(self, query: Query, project: str) -> None:
        self.query = query
        self.params: dict[str, object] = {"project": project}
        self.sources: list[str] = []
        self.conds: list[str] = []
        self.deferred: list[Callable[[], list[str]]] = []
        self.vars: dict[str, Binding] = {}
        self.n_alias = 0
        self.used: list[str] = []

    # -- helpers -------------------------------------------------------------------------------
    def error(self, pos: int, problem: str) -> QueryError:
        return query_error(self.query.text, pos, problem)

    def param(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return ":" + name

    def predicate(self, name: str, pos: int) -> PredicateDef:
        pred = PREDICATES.get(name)
        if pred is None:
            close = difflib.get_close_matches(name, list(PREDICATES), n=1, cutoff=0.6)
            lowered = {p.lower(): p for p in PREDICATES}
            guess = close[0] if close else lowered.get(name.lower())
            hint = f"; did you mean {guess}?" if guess else ""
            raise self.error(
                pos, f"unknown predicate {name}{hint} Valid predicates: {', '.join(PREDICATES)}"
            )
        if name not in self.used:
            self.used.append(name)
        return pred

    def new_alias(self, pos: int) -> str:
        self.n_alias += 1
        if self.n_alias > MAX_ALIASES:
            raise self.error(pos, f"query too large: more than {MAX_ALIASES} fact patterns")
        return f"t{self.n_alias}"

    def base_conditions(self, pred: PredicateDef, alias: str) -> list[str]:
        conds = [f"{alias}.project = :project"]
        if pred.condition:
            conds.append(pred.condition.format(a=alias))
        return conds

    def join_fact(self, pred: PredicateDef, pos: int) -> str:
        """Add an alias of `pred` to the main join; return the alias."""
        alias = self.new_alias(pos)
        self.sources.append(pred.source.format(a=alias))
        self.conds.extend(self.base_conditions(pred, alias))
        return alias

    # -- statements ----------------------------------------------------------------------------
    def compile(self) -> CompiledQuery:
        statements = self.query.statements
        fact_aliases: dict[int, tuple[PredicateDef, str]] = {}
        # Pass 1: join every statement-level fact pattern and bind `V = fact` variables, so
        # that uses of V anywhere (before or after) see a fact.
        for i, st in enumerate(statements):
            pred = self.statement_predicate(st)
            if pred is None:
                continue
            alias = self.join_fact(pred, st.body.pos)
            fact_aliases[i] = (pred, alias)
            if st.var is not None:
                self.bind_fact(st.var, pred, alias)
        # Pass 2: match the bodies.
        for i, st in enumerate(statements):
            if i in fact_aliases:
                pred, alias = fact_aliases[i]
                self.match_statement_fact(st.body, pred, alias)
            elif st.var is None:
                raise self.error(
                    st.body.pos,
                    f"a statement must be a fact pattern such as code.Symbol {{...}}, or bind a "
                    f"variable (X = ...); found {describe(st.body)}",
                )
            else:
                var, body = st.var, st.body
                self.deferred.append(lambda var=var, body=body: self.match(  # type: ignore[misc]
                    self.var_slot(var), body, in_alt=True))
        for task in self.deferred:
            self.conds.extend(task())
        return self.finish(fact_aliases)

    def statement_predicate(self, st: Statement) -> PredicateDef | None:
        """The predicate of a fact-pattern statement (alternatives must share one)."""
        body = st.body
        if isinstance(body, Fact):
            return self.predicate(body.predicate, body.pos)
        if isinstance(body, Alt) and all(isinstance(o, Fact) for o in body.options):
            names = {o.predicate for o in body.options if isinstance(o, Fact)}
            if len(names) > 1:
                raise self.error(
                    body.pos, "alternatives of fact patterns must be of one predicate; "
                    f"found {', '.join(sorted(names))}",
                )
            first = body.options[0]
            assert isinstance(first, Fact)
            return self.predicate(first.predicate, first.pos)
        return None

    def bind_fact(self, var: Var, pred: PredicateDef, alias: str) -> None:
        key = pred.key_expr(alias)
        known = self.vars.get(var.name)
        if known is None:
            self.vars[var.name] = Binding(var.name, STRING, key, var.pos, pred, alias)
            return
        if known.predicate is not pred:
            raise self.error(var.pos, f"variable {var.name} is already a "
                             f"{known.predicate.name if known.predicate else known.type}; "
                             f"it cannot also be a {pred.name} fact")
        self.conds.append(f"{known.expr} = {key}")

    def match_statement_fact(self, body: Pattern, pred: PredicateDef, alias: str) -> None:
        if isinstance(body, Fact):
            self.conds.extend(self.match_arg(pred, alias, body.arg, in_alt=False))
            return
        assert isinstance(body, Alt)
        options = [o for o in body.options if isinstance(o, Fact)]
        self.deferred.append(lambda: self.disjunction(
            [self.match_arg(pred, alias, o.arg, in_alt=True) for o in options]))

    def var_slot(self, var: Var) -> Slot:
        binding = self.require(var)
        ref = binding.predicate.name if binding.predicate else None
        return Slot(binding.expr, binding.type, f"variable {var.name}", ref=ref)

    def require(self, var: Var) -> Binding:
        binding = self.vars.get(var.name)
        if binding is None:
            raise self.error(
                var.pos, f"variable {var.name} is not bound: use it in a field of a fact pattern "
                "outside alternatives (e.g. code.Symbol { name = " + var.name + " })",
            )
        return binding

    # -- patterns ------------------------------------------------------------------------------
    def match_arg(self, pred: PredicateDef, alias: str, arg: Record | Wildcard,
                  in_alt: bool) -> list[str]:
        """Conditions for `arg` (a record or `_`) over a fact of `pred` at `alias`."""
        if isinstance(arg, Wildcard):
            return []
        conds: list[str] = []
        for fp in arg.fields:
            fdef = pred.field(fp.name)
            if fdef is None:
                raise self.error(fp.pos, f"unknown field {fp.name!r} of {pred.name}; its fields "
                                 f"are: {', '.join(pred.field_names)}")
            slot = Slot(
                fdef.column.format(a=alias), fdef.type, f"field {fp.name!r} of {pred.name}",
                ref=fdef.ref,
            )
            conds.extend(self.match(slot, fp.value, in_alt))
        return conds

    def match(self, slot: Slot, pat: Pattern, in_alt: bool) -> list[str]:
        """Conditions that `pat` holds for the value at `slot`."""
        if isinstance(pat, Wildcard):
            return []
        if isinstance(pat, Str):
            self.check_type(slot, STRING, pat)
            return [f"{slot.expr} = {self.param(pat.value)}"]
        if isinstance(pat, Num):
            self.check_type(slot, INT, pat)
            return [f"{slot.expr} = {self.param(pat.value)}"]
        if isinstance(pat, Prefix):
            self.check_type(slot, STRING, pat)
            return self.prefix(slot.expr, pat.value)
        if isinstance(pat, Var):
            return self.match_var(slot, pat, in_alt)
        if isinstance(pat, Record):
            if slot.ref is None:
                raise self.nest_error(slot, pat)
            return self.match(slot, Fact(slot.ref, pat, pat.pos), in_alt)
        if isinstance(pat, Fact):
            return self.match_nested(slot, pat, in_alt)
        assert isinstance(pat, Alt)
        if in_alt:
            return self.alternatives(slot, pat)
        self.deferred.append(lambda: self.alternatives(slot, pat))
        return []

    def alternatives(self, slot: Slot, alt: Alt) -> list[str]:
        """`a | b | ...` at `slot`. Alternatives that are all nested patterns of the slot's
        predicate become one `IN (SELECT key ... WHERE a OR b)`, which SQLite answers through
        the index on the key instead of testing every outer row."""
        nested = [o if isinstance(o, Fact) else Fact(slot.ref, o, o.pos)
                  for o in alt.options
                  if slot.ref and (isinstance(o, Record) or
                                   (isinstance(o, Fact) and o.predicate == slot.ref))]
        if len(nested) < len(alt.options) or slot.ref is None:
            return self.disjunction([self.match(slot, o, True) for o in alt.options])
        target = self.predicate(slot.ref, alt.pos)
        alias = self.new_alias(alt.pos)
        inner = [*self.base_conditions(target, alias), *self.disjunction(
            [self.match_arg(target, alias, n.arg, in_alt=True) for n in nested])]
        return [self.in_subquery(slot, target, alias, inner)]

    def check_type(self, slot: Slot, want: str, pat: Pattern) -> None:
        if slot.type != want:
            raise self.error(pat.pos, f"{slot.label} is a {_type_name(slot.type)}, "
                             f"but the pattern is {describe(pat)}")

    def nest_error(self, slot: Slot, pat: Pattern) -> QueryError:
        nestable = sorted({f"{p.name}.{f.name}" for p in PREDICATES.values() for f in p.fields
                           if f.ref})
        return self.error(pat.pos, f"{slot.label} is a {_type_name(slot.type)} and takes no "
                          f"nested pattern; fields that do: {', '.join(nestable)}")

    def prefix(self, expr: str, value: str) -> list[str]:
        lo = self.param(value)
        conds = [f"{expr} >= {lo}", f"substr({expr}, 1, {len(value)}) = {lo}"]
        upper = _successor(value)
        if upper is not None:
            conds.insert(1, f"{expr} < {self.param(upper)}")
        return conds

    def match_var(self, slot: Slot, var: Var, in_alt: bool) -> list[str]:
        binding = self.vars.get(var.name)
        if binding is None:
            if in_alt:
                raise self.error(var.pos, f"variable {var.name} is only used inside alternatives "
                                 "(or in a constraint); bind it in a field outside them too")
            self.vars[var.name] = Binding(var.name, slot.type, slot.expr, var.pos)
            return []
        if binding.predicate is not None:
            if slot.ref != binding.predicate.name:
                raise self.error(var.pos, f"variable {var.name} is a {binding.predicate.name} "
                                 f"fact, but {slot.label} does not refer to {binding.predicate.name}")
            return [f"{slot.expr} = {binding.expr}"]
        if binding.type != slot.type:
            raise self.error(var.pos, f"variable {var.name} is a {_type_name(binding.type)}, "
                             f"but {slot.label} is a {_type_name(slot.type)}")
        return [f"{slot.expr} = {binding.expr}"]

    def match_nested(self, slot: Slot, fact: Fact, in_alt: bool) -> list[str]:
        target = self.predicate(fact.predicate, fact.pos)
        if slot.ref is None:
            raise self.nest_error(slot, fact)
        if slot.ref != target.name:
            raise self.error(fact.pos, f"{slot.label} refers to {slot.ref}, not {target.name}")
        if not in_alt:
            alias = self.join_fact(target, fact.pos)
            return [f"{target.key_expr(alias)} = {slot.expr}",
                    *self.match_arg(target, alias, fact.arg, in_alt=False)]
        alias = self.new_alias(fact.pos)
        inner = [*self.base_conditions(target, alias),
                 *self.match_arg(target, alias, fact.arg, in_alt=True)]
        return [self.in_subquery(slot, target, alias, inner)]

    @staticmethod
    def in_subquery(slot: Slot, target: PredicateDef, alias: str, inner: list[str]) -> str:
        """`slot IN (keys of the target facts at alias that satisfy inner)`."""
        return (f"{slot.expr} IN (SELECT {target.key_expr(alias)} "
                f"FROM {target.source.format(a=alias)} WHERE {' AND '.join(inner)})")

    @staticmethod
    def disjunction(branches: list[list[str]]) -> list[str]:
        if any(not b for b in branches):
            return []           # one branch always holds
        return ["(" + " OR ".join("(" + " AND ".join(b) + ")" for b in branches) + ")"]

    # -- result --------------------------------------------------------------------------------
    def finish(self, fact_aliases: dict[int, tuple[PredicateDef, str]]) -> CompiledQuery:
        head = self.query.head
        last_index = len(self.query.statements) - 1
        last = self.query.statements[last_index]
        result_var = head if head is not None else (
            last.var if last_index not in fact_aliases else None)
        where = " AND ".join(self.conds) if self.conds else "1"
        from_ = ", ".join(self.sources)
        if result_var is None:
            pred, alias = fact_aliases[last_index]
            return self.fact_select(pred, alias, from_, where, None)
        binding = self.require(result_var)
        if binding.predicate is not None:
            assert binding.alias is not None
            return self.fact_select(binding.predicate, binding.alias, from_, where, None)
        sql = (f"SELECT DISTINCT {binding.expr} FROM {from_} WHERE {where} "
               f"ORDER BY 1 LIMIT :limit")
        return CompiledQuery(sql, self.params, None, result_var.name, [result_var.name],
                             list(self.used))

    def fact_select(self, pred: PredicateDef, alias: str, from_: str, where: str,
                    variable: str | None) -> CompiledQuery:
        columns = [f.column.format(a=alias) for f in pred.fields]
        order = ", ".join(f"{pred.fields.index(f) + 1} NULLS LAST" for f in pred.ordered_fields())
        sql = (f"SELECT DISTINCT {', '.join(columns)} FROM {from_} WHERE {where} "
               f"ORDER BY {order} LIMIT :limit")
        return CompiledQuery(sql, self.params, pred, variable, pred.field_names, list(self.used))


def _type_name(type_: str) -> str:
    return {STRING: "string", INT: "number"}.get(type_, type_)


def _successor(value: str) -> str | None:
    """The least string greater than every string starting with `value` (None: no bound)."""
    chars = list(value)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def compile_query(query: Query, project: str) -> CompiledQuery:
    """Translate a parsed query over one project's facts into SQL (see the module docstring)."""
    return Compiler(query, project).compile()
