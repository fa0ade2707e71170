"""TypeScript literals as n8n writes them: bare keys, single quotes, one line when small."""

from __future__ import annotations

import pytest

from toolorch.backends.n8n.leanparse import strip_comments
from toolorch.backends.n8n.tsliteral import INLINE_WIDTH, MAX_INLINE_MEMBERS, TsCode, ts_literal, ts_string


def test_defaults() -> None:
    assert (INLINE_WIDTH, MAX_INLINE_MEMBERS) == (80, 3)


@pytest.mark.parametrize(("text", "literal"), [
    ("plain", "'plain'"), ("it's", "'it\\'s'"), ('say "hi"', "'say \"hi\"'"), ("a\\b", "'a\\\\b'"),
    ("two\nlines", "'two\\nlines'"), ("", "''"), ("={{$parameter[\"operation\"]}}", "'={{$parameter[\"operation\"]}}'"),
])
def test_strings(text: str, literal: str) -> None:
    assert ts_string(text) == literal


def test_keys_values_and_layout() -> None:
    assert ts_literal({"a": 1, "b-c": True, "$d": None}) == "{ a: 1, 'b-c': true, $d: null }"
    assert ts_literal([TsCode("NodeConnectionTypes.Main")]) == "[NodeConnectionTypes.Main]"
    assert ts_literal({"k": [], "e": {}}) == "{ k: [], e: {} }"
    four = {"a": 1, "b": 2, "c": 3, "d": 4}           # more than 3 members: a line each
    assert ts_literal(four) == "{\n\ta: 1,\n\tb: 2,\n\tc: 3,\n\td: 4,\n}"
    wide = {"text": "x" * 70}                          # over 80 characters: a line each
    assert ts_literal(wide, 1) == "{\n\t\ttext: '" + "x" * 70 + "',\n\t}"
    assert ts_literal({"n": {"m": four}}) == "{\n\tn: {\n\t\tm: {\n\t\t\ta: 1,\n\t\t\tb: 2,\n\t\t\tc: 3,\n\t\t\td: 4,\n\t\t},\n\t},\n}"
    with pytest.raises(TypeError, match="no TypeScript literal for set"):
        ts_literal({1, 2})


def test_comments_are_stripped_with_nesting_and_strings_kept() -> None:
    text, docs = strip_comments('a /- x /- y -/ z -/ b -- c\n"s -- not a comment" /-- doc -/ d /-! mod -/')
    assert text == 'a   b \n"s -- not a comment" \x00DOC0\x00 d '
    assert docs == ["doc"]
