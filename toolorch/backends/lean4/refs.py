"""Which type symbol each type name in a declaration means, as the indexer resolved it.

The signatures the indexers print are text (`def index() -> Response:`); the symbol behind
`Response` is in the document's reference occurrences. For every definition, the type
references inside its definition's range (SCIP's enclosing range, else its own line) give a
map {type name → symbol}; the first occurrence of a name wins, and annotations come before a
body. The document-wide map (imports included) is the fallback. One sort and one pass per
document: linear in the occurrences, times the nesting depth of definitions.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from toolorch.scip import symbols as S
from toolorch.scip.model import Document


@dataclass(slots=True)
class DocumentRefs:
    by_definition: dict[str, dict[str, str]] = field(default_factory=dict)   # symbol -> name -> type symbol
    document: dict[str, str] = field(default_factory=dict)                   # name -> type symbol

    def of(self, symbol: str) -> dict[str, str]:
        return self.by_definition.get(symbol, {})


def type_name(symbol: str, cache: dict[str, str | None]) -> str | None:
    """The name of a type symbol (`…/Response#` → `Response`); None for anything else."""
    if symbol in cache:
        return cache[symbol]
    name: str | None = None
    if not S.is_local(symbol) and symbol.endswith("#"):
        parsed = S.try_parse(symbol)
        last = parsed.last if parsed else None
        if last is not None and last.suffix == S.TYPE:
            name = last.name
    cache[symbol] = name
    return name


def document_refs(doc: Document, cache: dict[str, str | None] | None = None) -> DocumentRefs:
    names = cache if cache is not None else {}
    refs: list[tuple[int, int, str, str]] = []          # (line, char, name, symbol), references only
    for occ in doc.occurrences:
        if occ.is_definition:
            continue
        name = type_name(occ.symbol, names)
        if name is not None:
            refs.append((occ.range[0], occ.range[1], name, occ.symbol))
    refs.sort(key=lambda r: (r[0], r[1]))
    out = DocumentRefs()
    for _, _, name, symbol in refs:
        out.document.setdefault(name, symbol)
    keys = [(r[0], r[1]) for r in refs]
    for occ in doc.occurrences:
        if not occ.is_definition or S.is_local(occ.symbol) or occ.symbol in out.by_definition:
            continue
        span = occ.enclosing_range or (occ.range[0], 0, occ.range[2], 1 << 30)
        found: dict[str, str] = {}
        i = bisect_left(keys, (span[0], span[1]))
        while i < len(refs) and (refs[i][0], refs[i][1]) <= (span[2], span[3]):
            found.setdefault(refs[i][2], refs[i][3])
            i += 1
        if found:
            out.by_definition[occ.symbol] = found
    return out
