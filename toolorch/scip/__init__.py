"""SCIP: toolorch's normalized model, the reader that fills the real indexers' gaps, the writer
of standard SCIP files, and the symbol grammar."""

from toolorch.scip.model import Document, Occurrence, Relationship, ScipIndex, SymbolInfo
from toolorch.scip.reader import read_index
from toolorch.scip.symbols import Descriptor, Symbol, format_symbol, parse_symbol
from toolorch.scip.writer import write_index

__all__ = [
    "Descriptor",
    "Document",
    "Occurrence",
    "Relationship",
    "ScipIndex",
    "Symbol",
    "SymbolInfo",
    "format_symbol",
    "parse_symbol",
    "read_index",
    "write_index",
]
