"""Description texts as n8n's node linter wants them (the sentence-case cases were checked
against the npm `sentence-case` 3.0.4 the scanner uses)."""

from __future__ import annotations

import pytest

from toolorch.backends.n8n import style


@pytest.mark.parametrize(("text", "cased"), [
    ("Return the area of the shape.", "Return the area of the shape"),
    ("Compute the great-circle distance between two points on a sphere.",
     "Compute the great circle distance between two points on a sphere"),
    ("totalArea of XMLHttpRequest", "Total area of xml http request"),
    ("A1B2 c", "A1 b2 c"),
    ("café au lait", "Caf au lait"),
    ("  leading -- and trailing ", "Leading and trailing"),
    ("Get the ID of a URL", "Get the id of a url"),
    ("snake_case_words and JSON", "Snake case words and json"),
    ("", ""),
])
def test_sentence_case_is_the_npm_packages(text: str, cased: str) -> None:
    assert style.sentence_case(text) == cased


def test_action() -> None:
    assert style.action("Return the area of the shape.", "Area") == "Return the area of the shape"
    assert style.action("A circle given by its radius.", "New") == "Get a circle given by its radius"
    assert style.action("2 values", "Pair") == "Get 2 values"
    assert style.action("", "totalArea") == "Total area"
    long = style.action("word " * 30, "x")
    assert len(long) <= 60 and not long.endswith(" ") and long == ("Word " + "word " * 11).strip()


@pytest.mark.parametrize(("text", "fixed"), [
    ("Return the area of the shape.", "Return the area of the shape"),
    ("first sentence. Second one", "First sentence. Second one."),
    ("the `id` of a url as json, comma separated", "The ID of a URL as JSON, comma-separated"),
    ("ids and urls", "IDs and URLs"),
    ("List<int>  ->  many   spaces", "List&lt;int&gt; -&gt; many spaces"),
    ("ends with dots...", "Ends with dots"),
    ("like a filesize (e.g. 10 kB).", "Like a filesize (e.g. 10 kB)"),       # "e.g." is no sentence end
    ("one. two. three", "One. two. three."),
    ("", ""),
])
def test_description(text: str, fixed: str) -> None:
    assert style.description(text) == fixed


def test_names_and_order() -> None:
    assert style.display_name("User Id") == "User ID" and style.display_name("Idle") == "Idle"
    assert [style.sensitive(n) for n in ("password", "apiKey", "auth_token", "maxTokens", "key", "secretName")] == \
        [True, True, True, False, False, True]
    names = ["Perimeter", "area", "Area", "Name", "New", "Scaled", "Area 2", "Area10"]
    assert [o["name"] for o in style.by_name([{"name": n} for n in names])] == \
        ["area", "Area", "Area 2", "Area10", "Name", "New", "Perimeter", "Scaled"]
