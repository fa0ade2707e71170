"""Parser of the Angle subset that glean_query_code accepts.

Angle is Glean's query language; this is the part of it that makes sense over the facts of a SCIP
index. The grammar, in EBNF (`{ x }` repeats zero or more times, `[ x ]` is optional)::

    query      = [ VARIABLE "where" ] statement { ";" statement } [ ";" ] ;
    statement  = [ VARIABLE "=" ] pattern ;
    pattern    = term { "|" term } ;                       (* alternatives *)
    term       = fact
               | record                                    (* predicate taken from the field *)
               | "_"                                       (* wildcard *)
               | VARIABLE
               | STRING [ ".." ]                           (* ".." makes it a prefix *)
               | NUMBER
               | "(" pattern ")" ;
    fact       = PREDICATE ( record | "_" ) ;
    record     = "{" [ field { "," field } [ "," ] ] "}" ;
    field      = FIELD "=" pattern ;

    PREDICATE  = NAME "." NAME { "." NAME } ;              (* code.Symbol *)
    VARIABLE   = UPPER { LETTER | DIGIT | "_" } ;          (* S, Name, F2 *)
    FIELD      = ( LOWER | "_" LETTER ) { LETTER | DIGIT | "_" } ;  (* name, end_line *)
    NAME       = LETTER { LETTER | DIGIT | "_" } ;
    STRING     = '"' { CHAR | "\\" ( '"' | "\\" | "/" | "n" | "t" | "r" | "u" HEX HEX HEX HEX ) } '"' ;
    NUMBER     = [ "-" ] DIGIT { DIGIT } ;                 (* at most 18 characters *)

Whitespace (spaces, tabs, newlines) separates tokens and is otherwise ignored; `where` is the only
keyword. A statement without `VARIABLE =` must be a fact pattern (or alternatives of fact patterns
of one predicate). What the predicates, fields and nesting mean is in `schema.py`; how statements
and variables combine is in `compiler.py`.

A malformed query raises `toolorch.errors.QueryError` whose message names the column, shows the
query line with a caret under it, and says what was expected::

    column 26: expected ',' or '}' in a record, found field name 'kind'
      code.Symbol { name = "a" kind = "b" }
                               ^
"""

from __future__ import annotations

from dataclasses import dataclass

from toolorch.backends.glean.syntax import (
    Alt,
    Fact,
    FieldPat,
    Num,
    Pattern,
    Prefix,
    Query,
    Record,
    Statement,
    Str,
    Var,
    Wildcard,
    query_error,
)
from toolorch.errors import QueryError

#: Deepest nesting of records, parentheses and facts accepted (keeps recursion bounded).
MAX_DEPTH = 32

#: Longest number literal (keeps it inside SQLite's 64-bit integers).
MAX_NUMBER_CHARS = 18

_DIGITS = frozenset("0123456789")
_PUNCT = {"{", "}", ",", "=", "|", ";", "(", ")", ".."}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str       # pred, var, field, wild, string, number, punct, eof
    text: str       # the source text (for strings: the decoded value)
    pos: int

    def shown(self) -> str:
        names = {
            "pred": "predicate", "var": "variable", "field": "field name", "string": "string",
            "number": "number",
        }
        if self.kind == "eof":
            return "end of query"
        if self.kind == "wild":
            return "'_'"
        if self.kind == "punct":
            return repr(self.text)
        if self.kind == "string":
            return f'string "{self.text}"'
        return f"{names[self.kind]} {self.text!r}"


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens; a character that starts no token is a QueryError."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            start = i
            value, i = _read_string(text, i)
            tokens.append(Token("string", value, start))
        elif text.startswith("..", i):
            tokens.append(Token("punct", "..", i))
            i += 2
        elif ch in _PUNCT:
            tokens.append(Token("punct", ch, i))
            i += 1
        elif ch in _DIGITS or (ch == "-" and i + 1 < n and text[i + 1] in _DIGITS):
            start = i
            i += 1
            while i < n and text[i] in _DIGITS:
                i += 1
            if i - start > MAX_NUMBER_CHARS:
                raise query_error(text, start, f"number too long (at most {MAX_NUMBER_CHARS} "
                                  "digits); line and column numbers are small integers")
            tokens.append(Token("number", text[start:i], start))
        elif ch.isalpha() or ch == "_":
            tokens.append(_read_name(text, i))
            i = tokens[-1].pos + len(tokens[-1].text)
        else:
            raise query_error(text, i, f"unexpected character {ch!r}")
    tokens.append(Token("eof", "", n))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Decode the string literal at `start` (a '"'); return (value, index after it)."""
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\n":
            break
        if ch == "\\":
            if i + 1 >= n:
                break
            esc = text[i + 1]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i += 2
                continue
            if esc == "u":
                digits = text[i + 2:i + 6]
                if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                    out.append(chr(int(digits, 16)))
                    i += 6
                    continue
                raise query_error(text, i, "expected 4 hex digits after \\u in a string")
            raise query_error(
                text, i, f"unknown escape \\{esc} in a string; use \\\" \\\\ \\n \\t \\r or \\uXXXX"
            )
        out.append(ch)
        i += 1
    raise query_error(text, start, "unterminated string: expected a closing '\"'")


def _read_name(text: str, start: int) -> Token:
    """A predicate (dotted), a variable (upper-case), a field name, or `_`."""
    n = len(text)

    def word_end(i: int) -> int:
        while i < n and (text[i].isalnum() or text[i] == "_"):
            i += 1
        return i

    i = word_end(start)
    dotted = False
    while i + 1 < n and text[i] == "." and (text[i + 1].isalpha() or text[i + 1] == "_"):
        i = word_end(i + 1)
        dotted = True
    word = text[start:i]
    if dotted:
        return Token("pred", word, start)
    if word == "_":
        return Token("wild", word, start)
    if word[0].isupper():
        return Token("var", word, start)
    return Token("field", word, start)


class Parser:
    """Recursive descent over the token list; one instance per query."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.tok.kind == kind and (text is None or self.tok.text == text)

    def advance(self) -> Token:
        tok = self.tok
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def expect_punct(self, text: str, context: str) -> Token:
        if not self.at("punct", text):
            raise self.error(f"expected {text!r} {context}, found {self.tok.shown()}")
        return self.advance()

    def error(self, problem: str, pos: int | None = None) -> QueryError:
        return query_error(self.text, self.tok.pos if pos is None else pos, problem)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"query nested too deeply (more than {MAX_DEPTH} levels)")

    # -- grammar -------------------------------------------------------------------------------
    def query(self) -> Query:
        if self.at("eof"):
            raise self.error('empty query: expected a fact pattern such as code.Symbol _')
        head: Var | None = None
        if self.at("var") and self.peek().kind == "field" and self.peek().text == "where":
            tok = self.advance()
            head = Var(tok.text, tok.pos)
            self.advance()
        statements = [self.statement()]
        while self.at("punct", ";"):
            self.advance()
            if self.at("eof"):
                break
            statements.append(self.statement())
        if not self.at("eof"):
            expected = "';' between statements or end of query"
            if self.at("punct", "=") and not statements[-1].var:
                expected = "a variable before '=' (bind a fact with S = code.Symbol {...})"
            raise self.error(f"expected {expected}, found {self.tok.shown()}")
        return Query(head, tuple(statements), self.text)

    def statement(self) -> Statement:
        start = self.tok.pos
        if self.at("var") and self.peek().kind == "punct" and self.peek().text == "=":
            tok = self.advance()
            self.advance()
            return Statement(Var(tok.text, tok.pos), self.pattern(), start)
        return Statement(None, self.pattern(), start)

    def pattern(self) -> Pattern:
        start = self.tok.pos
        options = [self.term()]
        while self.at("punct", "|"):
            self.advance()
            options.append(self.term())
        return options[0] if len(options) == 1 else Alt(tuple(options), start)

    def term(self) -> Pattern:
        tok = self.tok
        if tok.kind == "pred":
            return self.fact()
        if tok.kind == "punct" and tok.text == "{":
            return self.record()
        if tok.kind == "wild":
            self.advance()
            return Wildcard(tok.pos)
        if tok.kind == "var":
            self.advance()
            return Var(tok.text, tok.pos)
        if tok.kind == "string":
            self.advance()
            if self.at("punct", ".."):
                self.advance()
                return Prefix(tok.text, tok.pos)
            return Str(tok.text, tok.pos)
        if tok.kind == "number":
            self.advance()
            return Num(int(tok.text), tok.pos)
        if tok.kind == "punct" and tok.text == "(":
            self.enter()
            self.advance()
            inner = self.pattern()
            self.expect_punct(")", "to close '('")
            self.depth -= 1
            return inner
        hint = ""
        if tok.kind == "field":
            hint = " (predicates are qualified, e.g. code.Symbol; variables start upper-case)"
        raise self.error(
            "expected a pattern: a fact such as code.Symbol {...}, a record {...}, a string, "
            f"a number, a variable or _, found {tok.shown()}{hint}"
        )

    def fact(self) -> Fact:
        tok = self.advance()
        self.enter()
        if self.at("punct", "{"):
            arg: Record | Wildcard = self.record()
        elif self.at("wild"):
            arg = Wildcard(self.advance().pos)
        else:
            raise self.error(
                f"expected '{{' or '_' after predicate {tok.text}, found {self.tok.shown()}"
            )
        self.depth -= 1
        return Fact(tok.text, arg, tok.pos)

    def record(self) -> Record:
        start = self.expect_punct("{", "to open a record")
        self.enter()
        fields: list[FieldPat] = []
        while not self.at("punct", "}"):
            fields.append(self.field())
            if self.at("punct", ","):
                self.advance()
            elif not self.at("punct", "}"):
                raise self.error(f"expected ',' or '}}' in a record, found {self.tok.shown()}")
        self.advance()
        self.depth -= 1
        return Record(tuple(fields), start.pos)

    def field(self) -> FieldPat:
        tok = self.tok
        if tok.kind != "field":
            hint = " (field names are lower-case)" if tok.kind == "var" else ""
            raise self.error(f"expected a field name or '}}', found {tok.shown()}{hint}")
        self.advance()
        self.expect_punct("=", f"after field name {tok.text!r}")
        return FieldPat(tok.text, self.pattern(), tok.pos)


def parse(text: str) -> Query:
    """Parse an Angle-subset query; QueryError (with column and caret) when malformed."""
    return Parser(text).query()
