"""Lean 4 identifiers from source names: sanitized, unique per scope, deterministic.

Rules (documented in the README):
1. Unicode is folded to ASCII (NFKD, accents dropped); any other character that is not a letter,
   digit or `_` (dots, dashes, `$`, `<`, spaces...) becomes `_`; runs of `_` are kept as written.
2. An empty result becomes `anon`; a leading digit gets a `_` prefix (`2d` → `_2d`).
3. Lean keywords (`def`, `end`, `fun`, `at`, `from`, `where`, `Type`...) and the prelude names the
   generated code itself uses (`Float`, `List`, `default`, `Inhabited`...) get a `_` suffix.
4. A name already taken in the same scope gets `_2`, `_3`... in order of first appearance, so the
   same index always yields the same names.
"""

from __future__ import annotations

import re
import unicodedata

#: Tokens Lean 4's core parser treats as keywords: never usable as a plain identifier.
LEAN_KEYWORDS: frozenset[str] = frozenset(["abbrev", "at", "attribute", "axiom", "by", "calc", "catch", "class", "coinductive", "continue", "break", "decreasing_by", "def", "deriving", "do", "else", "elab", "elab_rules", "end", "example", "exists", "export", "extends", "finally", "for", "forall", "from", "fun", "have", "if", "import", "in", "include", "inductive", "infix", "infixl", "infixr", "initialize", "instance", "let", "local", "macro", "macro_rules", "match", "mutual", "namespace", "nofun", "nomatch", "noncomputable", "nonrec", "notation", "obtain", "omit", "opaque", "open", "partial", "partial_fixpoint", "postfix", "prefix", "private", "protected", "rec", "return", "scoped", "section", "set_option", "show", "sorry", "structure", "suffices", "syntax", "termination_by", "then", "theorem", "this", "try", "universe", "unless", "unsafe", "using", "variable", "where", "with", "mut", "Type", "Sort", "Prop", "fun_prop", "builtin_initialize", "declare_syntax_cat", "register_simp_attr"])

#: Names the generated files refer to unqualified; shadowing them inside the project namespace
#: would make those references ambiguous.
RESERVED: frozenset[str] = frozenset(["Int", "Nat", "Float", "String", "Bool", "Char", "Unit", "List", "Array", "Option", "Except", "Sum", "Prod", "ByteArray", "UInt8", "UInt16", "UInt32", "UInt64", "Inhabited", "Nonempty", "Sigma", "True", "False", "Eq", "id", "default", "pure", "true", "false", "none", "some"])

#: Names Lean generates inside a structure's or inductive's namespace.
STRUCTURE_GENERATED: frozenset[str] = frozenset(["mk", "rec", "recOn", "casesOn", "noConfusion", "noConfusionType", "brecOn", "below", "ibelow", "binductionOn", "ctorIdx", "sizeOf_spec", "inj", "injEq", "ext", "ext_iff", "toCtorIdx", "ofNat", "Impl"])

_NON_IDENT = re.compile(r"[^A-Za-z0-9_]")


def sanitize(raw: str) -> str:
    """One source name as a valid Lean identifier component (rules 1-3; no uniqueness)."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    name = _NON_IDENT.sub("_", folded)
    if not name.strip("_"):
        name = "anon" if not name else name + "anon"
    if name[0].isdigit():
        name = "_" + name
    if name in LEAN_KEYWORDS or name in RESERVED:
        name += "_"
    return name


def upper_camel(raw: str) -> str:
    """`sample_project` / `sample-project` / `geo.py` → `SampleProject` (namespaces, modules)."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    words = [w for w in re.split(r"[^A-Za-z0-9]+", folded) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Anon"
    if name[0].isdigit():
        name = "N" + name
    if name in LEAN_KEYWORDS or name in RESERVED:
        name += "_"
    return name


class Scope:
    """Names taken in one Lean namespace. `claim` returns a unique sanitized name (rule 4)."""

    def __init__(self, taken: frozenset[str] | set[str] = frozenset()) -> None:
        self._taken: set[str] = set(taken)

    def claim(self, raw: str) -> str:
        base = sanitize(raw)
        name, n = base, 1
        while name in self._taken:
            n += 1
            name = f"{base}_{n}"
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._taken.add(name)

    def __contains__(self, name: object) -> bool:
        return name in self._taken
