"""The pieces of `toolorch bench search` that decide what is measured (no download, no model)."""

from __future__ import annotations

import ast

import pytest

from toolorch.bench.search.projects import strip_docstrings, summary
from toolorch.bench.search.quality import metrics, rank_of

SOURCE = '''def documented(a, b):
    """Add two numbers and return the sum.

    Longer text that is not part of the query.
    """
    return a + b


def only_doc():
    """Do nothing at all, on purpose."""


def short():
    """Too short."""
    return 1


def outer():
    """Build a closure over a counter value."""
    def inner():
        """Inner docstring stays in the source."""
        return 1
    return inner


def one_liner(): """Not blanked: the docstring shares the def line."""
'''


def test_docstrings_are_blanked_in_place() -> None:
    skipped: dict[str, int] = {}
    stripped, queries = strip_docstrings(SOURCE, "m.py", skipped)
    ast.parse(stripped)  # still valid Python
    lines, original = stripped.splitlines(), SOURCE.splitlines()
    assert len(lines) == len(original)
    assert lines[1:5] == ["", "", "", ""] and lines[5] == "    return a + b"
    assert lines[9] == "    pass"                       # a body that was only a docstring
    assert '"""Inner docstring stays in the source."""' in stripped
    assert '"""Not blanked' in stripped
    assert [(q.name, q.line, q.text) for q in queries] == [
        ("documented", 1, "Add two numbers and return the sum."),
        ("only_doc", 9, "Do nothing at all, on purpose."),
        ("outer", 18, "Build a closure over a counter value."),
    ]
    assert skipped == {"summary under 4 words": 1, "one-line function": 1}


def test_unparsable_files_are_counted_not_fatal() -> None:
    skipped: dict[str, int] = {}
    assert strip_docstrings("def broken(:\n", "x.py", skipped) == ("def broken(:\n", [])
    assert skipped == {"unparsable file": 1}


def test_summary_is_the_first_paragraph_capped() -> None:
    assert summary("  One  two\nthree four.\n\nMore.") == "One two three four."
    assert len(summary("word " * 200)) == 300


def test_metrics() -> None:
    result = metrics([1, 2, None, 6, 11])
    assert result == {"n": 5, "mrr@10": round((1 + 0.5 + 1 / 6) / 5, 4), "r@1": 0.2,
                      "r@5": 0.4, "r@10": 0.6}
    assert metrics([])["n"] == 0
    assert metrics([10])["mrr@10"] == pytest.approx(0.1)
    assert metrics([5])["r@5"] == 1.0 and metrics([6])["r@5"] == 0.0


def test_rank_of() -> None:
    assert rank_of("b", ["a", "b"]) == 2 and rank_of("z", ["a"]) is None
