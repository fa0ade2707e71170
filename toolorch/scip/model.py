"""SCIP, normalized: what toolorch's tools read from an index, with the gaps the real indexers
leave (kind, display name, language) already filled in by the reader.

Ranges are 0-based, end-exclusive, always the 4-int form (start_line, start_char, end_line, end_char).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# SymbolRole bits
DEFINITION, IMPORT, WRITE_ACCESS, READ_ACCESS, GENERATED, TEST, FORWARD_DEFINITION = (
    0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40,
)

#: SCIP Kind numbers → the lower-case names toolorch shows (and queries use: kind = "function").
KIND_NAMES: dict[int, str] = {
    0: "unspecified", 7: "class", 8: "constant", 9: "constructor", 11: "enum", 12: "enum_member",
    15: "field", 17: "function", 21: "interface", 25: "macro", 26: "method", 29: "module",
    30: "namespace", 35: "package", 37: "parameter", 41: "property", 44: "self_parameter",
    49: "struct", 53: "trait", 54: "type", 55: "type_alias", 58: "type_parameter", 59: "union",
    61: "variable", 70: "trait_method", 80: "static_method",
}
KIND_NUMBERS: dict[str, int] = {v: k for k, v in KIND_NAMES.items()}

Range = tuple[int, int, int, int]


@dataclass(slots=True)
class Relationship:
    symbol: str
    is_reference: bool = False
    is_implementation: bool = False
    is_type_definition: bool = False
    is_definition: bool = False


@dataclass(slots=True)
class SymbolInfo:
    symbol: str
    kind: str = "unspecified"          # a KIND_NAMES value, derived when the indexer left it empty
    display_name: str = ""             # derived from the last descriptor when empty
    documentation: list[str] = field(default_factory=list)
    signature: str = ""                # the code block of the documentation, without fences
    relationships: list[Relationship] = field(default_factory=list)
    enclosing_symbol: str = ""


@dataclass(slots=True)
class Occurrence:
    symbol: str
    range: Range
    roles: int = 0
    enclosing_range: Range | None = None

    @property
    def is_definition(self) -> bool:
        return bool(self.roles & DEFINITION)


@dataclass(slots=True)
class Document:
    relative_path: str
    language: str = ""
    occurrences: list[Occurrence] = field(default_factory=list)
    symbols: list[SymbolInfo] = field(default_factory=list)
    text: str = ""


@dataclass(slots=True)
class ScipIndex:
    project_root: str = ""             # a file:// URI
    tool_name: str = ""
    tool_version: str = ""
    documents: list[Document] = field(default_factory=list)
    external_symbols: list[SymbolInfo] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "documents": len(self.documents),
            "symbols": sum(len(d.symbols) for d in self.documents),
            "occurrences": sum(len(d.occurrences) for d in self.documents),
        }
