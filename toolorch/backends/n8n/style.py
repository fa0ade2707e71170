"""Texts of generated node descriptions, written the way n8n's node linter
(eslint-plugin-n8n-nodes-base, part of the community-package scanner) requires, so docstrings
from any project pass it:

- an operation's `action` is sentence case as the `sentence-case` package makes it (words split
  at case changes and punctuation, all lower case but the first letter), at most 60 characters;
- a description starts with an upper-case letter, is trimmed and single-spaced, ends with a
  period only when it has more than one sentence, says ID / URL / JSON in capitals, has no
  backticks and no bare `<` `>`, writes "comma-separated";
- display names say "ID" (not "Id"); options are alphabetized by name (like `localeCompare`);
  a boolean's description starts with "Whether"; a secret-looking string is a password field.
"""

from __future__ import annotations

import re
from typing import Any

SENSITIVE = ("secret", "password", "token", "apikey")          # the linter's list, lower-cased
NOT_SENSITIVE = ("maxtokens", "password_needs_reset")
_ID = re.compile(r"\b[iI]d(s?)\b")
_URL = re.compile(r"\b[uU]rl(s?)\b")
_JSON = re.compile(r"\b[jJ]son\b")


def sentence_case(text: str) -> str:
    """`sentenceCase` of the npm `sentence-case` package (3.x): words split at lower→upper and
    at non-alphanumerics, all lower case, the first one capitalized."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", "\\1\x00\\2", text)
    spaced = re.sub(r"([A-Z])([A-Z][a-z])", "\\1\x00\\2", spaced)
    words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+|\x00", spaced) if w]
    if not words:
        return ""
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def action(description: str, name: str) -> str:
    """An operation option's `action`: its description in sentence case, cut at a word
    boundary to 60 characters; the linter ignores all-upper-case words, so the first word must
    not be one ("A circle…" → "Get a circle…")."""
    text = sentence_case(description) or sentence_case(name) or "Call"
    if len(text) > 60:
        text = text[:61].rsplit(" ", 1)[0]
    first = text.split(" ", 1)[0]
    if first == first.upper():
        text = "Get " + text[:1].lower() + text[1:]
    return text


def description(text: str) -> str:
    """A description the linter accepts (see the module docstring)."""
    text = " ".join(text.replace("`", "").split())
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\bcomma separated\b", "comma-separated", text, flags=re.IGNORECASE)
    text = _ID.sub(lambda m: "ID" + m.group(1), text)
    text = _URL.sub(lambda m: "URL" + m.group(1), text)
    text = _JSON.sub("JSON", text)
    if text[:1].islower():
        text = text[:1].upper() + text[1:]
    base = text.rstrip(".")
    sentences = len(base.replace("e.g.", "", 1).split(". "))   # the linter's own count
    return base + ("." if sentences > 1 else "")


def display_name(text: str) -> str:
    return _ID.sub(lambda m: "ID" + m.group(1), text)


def sensitive(name: str) -> bool:
    low = name.lower()
    return low not in NOT_SENSITIVE and any(s in low for s in SENSITIVE)


def sort_key(name: str) -> tuple[str, str]:
    """Orders like JavaScript's `localeCompare` for these names (case-insensitive first,
    then lower case before upper case)."""
    return name.casefold(), name.swapcase()


def by_name(options: list[dict[str, Any]], key: str = "name") -> list[dict[str, Any]]:
    return sorted(options, key=lambda o: sort_key(str(o[key])))
