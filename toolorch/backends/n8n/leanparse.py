"""A parser for the subset of Lean 4 that specification files use, enough to see their operations.

Understood (everything else is skipped, never guessed):
- comments: `-- line`, `/- block -/` (nested); `/-- doc -/` attaches to the next declaration or
  field; `/-! module doc -/` is ignored;
- `import A.B` — followed to `A/B.lean` beside the file (or in a parent directory, the Lake layout),
  so a root module that only imports its modules still yields their operations;
- `namespace X.Y` … `end X.Y`, `section` … `end`;
- `structure S (binders) where` with one field per line (`x : T`, `x y : T`, `(x : T)`,
  `x : T := v`, a `mk ::` line, `deriving ...`); `class` is skipped (type classes are not data);
- `inductive E where | A | B ...`: an enumeration when no constructor takes arguments;
- `def` / `opaque` / `abbrev` / `axiom` with attributes and modifiers, explicit binders
  `(a b : T)` and `(x : T := default)` (an optional parameter), implicit `{}`, `[]` and `⦃⦄` binders
  ignored, then `: Result`; `opaque f : A → B → C` names its parameters `arg1`, `arg2`;
  an `abbrev`/`def` without parameters whose value is a type (`abbrev LatLon := Float × Float`) is a
  type alias.
A declaration is an *operation* unless it is private, returns or takes a `Type`/`Prop`/`Sort`
(type-level definitions, `_post` predicates), or is a theorem, example or instance.
Type names are resolved the way Lean resolves them: inside `namespace A.B`, `Circle` is
`A.B.Circle`, else `A.Circle`, else `Circle` (`LeanSpec.resolve`, a few dictionary look-ups).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from toolorch.errors import BackendError

_COMMANDS = ("def", "opaque", "abbrev", "axiom", "structure", "class", "inductive", "theorem",
             "lemma", "example", "instance", "namespace", "section", "end", "open", "import",
             "set_option", "variable", "universe", "deriving", "attribute", "macro", "syntax",
             "notation", "mutual", "noncomputable", "private", "protected", "partial", "unsafe",
             "@[", "#")
_MODIFIERS = {"private", "protected", "noncomputable", "partial", "unsafe", "nonrec"}
_TYPE_LEVEL = re.compile(r"(?<![\w.])(Type|Prop|Sort)(?![\w.])")
_DOC = "\x00DOC{}\x00"
_DOC_RE = re.compile(r"\x00DOC(\d+)\x00")
_SPECIAL = re.compile(r'--|/-|"')
_NESTING = re.compile(r"/-|-/")


@dataclass(slots=True)
class LeanParam:
    name: str
    type: str
    optional: bool = False


@dataclass(slots=True)
class LeanOperation:
    full_name: str                 # SampleProject.Shapes.Circle.Circle.scaled
    group: str                     # namespace of the declaration: SampleProject.Shapes.Circle.Circle
    name: str                      # last component: scaled
    params: list[LeanParam]
    result: str
    doc: str = ""
    file: str = ""


@dataclass(slots=True)
class LeanStructure:
    full_name: str
    fields: list[LeanParam]
    doc: str = ""


@dataclass(slots=True)
class LeanSpec:
    operations: list[LeanOperation] = field(default_factory=list)
    structures: list[LeanStructure] = field(default_factory=list)
    enums: dict[str, list[str]] = field(default_factory=dict)       # full name -> constructors
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)   # full name -> (type text, namespace)
    types: set[str] = field(default_factory=set)                    # full names of every declared type
    files: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)

    def resolve(self, name: str, namespace: str) -> str:
        """The full name `name` means inside `namespace` (Lean's rule: the innermost enclosing
        namespace that declares it); `name` itself when no declared type matches."""
        name = name.strip().removeprefix("_root_.")
        prefix = namespace
        while prefix:
            full = f"{prefix}.{name}"
            if full in self.types:
                return full
            prefix = prefix.rpartition(".")[0]
        return name

    def find_enum(self, type_text: str, namespace: str = "") -> list[str] | None:
        return self.enums.get(self.resolve(type_text, namespace))

    def find_alias(self, type_text: str, namespace: str = "") -> tuple[str, str] | None:
        return self.aliases.get(self.resolve(type_text, namespace))

    def canonical(self, type_text: str, namespace: str) -> str:
        """`type_text` with every name replaced by its full name: the key that tells whether an
        operation's result is another one's parameter (`Option` at the top dropped)."""
        text = " ".join(type_text.split())
        while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1].strip()
        if text.startswith("Option "):
            text = text[len("Option "):].strip()
        return _NAME.sub(lambda m: self.resolve(m.group(0), namespace), text)


_NAME = re.compile(r"(?<![\w.])[A-Za-z_][\w.]*")


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def strip_comments(text: str) -> tuple[str, list[str]]:
    """Remove comments; doc comments become markers `\\0DOC<n>\\0` (texts returned in a list)."""
    out: list[str] = []
    docs: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/-", i):
            kind = text[i + 2:i + 3]
            depth, j = 1, i + 2
            while j < n and depth:
                m = _NESTING.search(text, j)
                if m is None:
                    j = n
                    break
                depth += 1 if m.group(0) == "/-" else -1
                j = m.end()
            if kind == "-":
                docs.append(text[i + 3:j - 2].strip())
                out.append(_DOC.format(len(docs) - 1))
            elif kind != "!":
                out.append(" ")
            i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            m = _SPECIAL.search(text, i + 1)
            j = m.start() if m else n
            out.append(text[i:j])
            i = j
    return "".join(out), docs


def split_top(text: str, sep: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "([{⦃⟨":
            depth += 1
        elif ch in ")]}⦄⟩":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _commands(text: str) -> list[tuple[str, str]]:
    """(doc, command text) for each command starting at column 0."""
    result: list[tuple[str, str]] = []
    current: list[str] = []
    doc = ""
    pending_doc = ""
    for line in text.split("\n"):
        lead = re.match(r"^(\x00DOC\d+\x00)\s*(\S.*)$", line)
        if lead and lead.group(2).startswith(_COMMANDS):   # `/-- doc -/ def f ...` on one line
            if current:
                result.append((doc, "\n".join(current)))
                current = []
            pending_doc, line = lead.group(1), lead.group(2)
        stripped = line.strip()
        doc_only = _DOC_RE.fullmatch(stripped)
        starts = line[:1] not in (" ", "\t", "") and (line.startswith(_COMMANDS) or doc_only)
        if starts:
            if current:
                result.append((doc, "\n".join(current)))
                current = []
            if doc_only:
                pending_doc = stripped
                continue
            doc, pending_doc = pending_doc, ""
        if current or starts:
            current.append(line)
    if current:
        result.append((doc, "\n".join(current)))
    return result


def _binders(text: str) -> tuple[list[tuple[str, str]], str]:
    """Leading bracketed binder groups of `text`: ([(bracket, inside)], rest)."""
    groups: list[tuple[str, str]] = []
    pairs = {"(": ")", "{": "}", "[": "]", "⦃": "⦄"}
    text = text.strip()
    while text and text[0] in pairs:
        depth = 0
        for i, ch in enumerate(text):
            if ch in "([{⦃":
                depth += 1
            elif ch in ")]}⦄":
                depth -= 1
                if depth == 0:
                    groups.append((text[0], text[1:i].strip()))
                    text = text[i + 1:].strip()
                    break
        else:
            break
    return groups, text


def _explicit_params(groups: list[tuple[str, str]]) -> list[LeanParam] | None:
    params: list[LeanParam] = []
    for bracket, inside in groups:
        if bracket != "(":
            continue
        names, sep, rest = inside.partition(":")
        if not sep:
            return None
        type_text, _, default = rest.partition(":=")
        type_text = type_text.strip()
        m = re.fullmatch(r"optParam\s+(\S+|\([^)]*\))\s+.*", type_text)
        optional = bool(default.strip()) or bool(m)
        if m:
            type_text = m.group(1)
        for name in names.split():
            params.append(LeanParam(name.strip("«»"), type_text, optional))
    return params


def _arrow_params(type_text: str) -> tuple[list[LeanParam], str]:
    parts = split_top(type_text, "→")
    if len(parts) == 1:
        parts = split_top(type_text, "->")
    params: list[LeanParam] = []
    for i, part in enumerate(parts[:-1], start=1):
        m = re.fullmatch(r"\((\w+)\s*:\s*(.+)\)", part)
        params.append(LeanParam(m.group(1), m.group(2)) if m else LeanParam(f"arg{i}", part))
    return params, parts[-1]


class _FileParser:
    def __init__(self, spec: LeanSpec, path: Path, docs: list[str]) -> None:
        self.spec, self.path, self.docs = spec, path, docs
        self.stack: list[tuple[str, list[str]]] = []     # ("namespace"|"section", components)

    @property
    def namespace(self) -> list[str]:
        return [c for kind, comps in self.stack if kind == "namespace" for c in comps]

    def qualify(self, name: str) -> str:
        if name.startswith("_root_."):
            return name[len("_root_."):]
        return ".".join([*self.namespace, name])

    def doc(self, marker: str) -> str:
        m = _DOC_RE.search(marker)
        return self.docs[int(m.group(1))] if m else ""

    def command(self, doc: str, text: str) -> None:
        head = text.strip()
        words = head.split()
        kw = words[0] if words else ""
        if kw == "namespace" and len(words) > 1:
            self.stack.append(("namespace", words[1].split(".")))
            self.spec.namespaces.append(".".join(self.namespace))
        elif kw == "section":
            self.stack.append(("section", words[1].split(".") if len(words) > 1 else []))
        elif kw == "end":
            if self.stack:
                self.stack.pop()
        else:
            self.declaration(doc, head)

    def declaration(self, doc: str, head: str) -> None:
        head = re.sub(r"^@\[[^\]]*\]\s*", "", head)
        words = head.split(None, 1)
        private = False
        while words and words[0] in _MODIFIERS:
            private = private or words[0] == "private"
            words = words[1].split(None, 1) if len(words) > 1 else []
        if len(words) < 2:
            return
        kw, rest = words
        name_m = re.match(r"([^\s(\[{⦃:]+)\s*(.*)", rest, re.DOTALL)
        if name_m is None:
            return
        name, after = name_m.group(1).strip("«»"), name_m.group(2)
        if kw in ("structure", "inductive", "class"):
            self.spec.types.add(self.qualify(name))
        if kw == "structure":
            self.structure(doc, name, after)
        elif kw == "inductive":
            ctors = re.findall(r"^\s*(?:\x00DOC\d+\x00\s*)?\|\s*([^\s:(]+)(.*)$", after, re.MULTILINE)
            if ctors and all(not args.strip() for _, args in ctors):
                self.spec.enums[self.qualify(name)] = [c for c, _ in ctors]
        elif kw in ("def", "opaque", "abbrev", "axiom") and not private:
            self.function(doc, kw, name, after)

    def structure(self, doc: str, name: str, after: str) -> None:
        parts = re.split(r"(?:^|\s)where\b", after, maxsplit=1)
        fields: list[LeanParam] = []
        for line in parts[1].split("\n") if len(parts) == 2 else []:
            s = _DOC_RE.sub("", line).strip()
            if not s or s.startswith(("deriving", "mk ::")) or s.endswith("::"):
                continue
            if s.startswith("(") and s.endswith(")"):
                s = s[1:-1]
            names, colon, type_text = s.partition(":")
            if colon:
                type_text = type_text.split(":=")[0].strip()
                for n in names.split():
                    fields.append(LeanParam(n, type_text))
        self.spec.structures.append(LeanStructure(self.qualify(name), fields, self.doc(doc)))

    def function(self, doc: str, kw: str, name: str, after: str) -> None:
        groups, rest = _binders(after)
        params = _explicit_params(groups)
        if params is None:
            return
        rest = rest.strip()
        if not groups and re.match(r"^:\s*(Type|Sort|Prop)\b", rest) and not name.endswith(".Impl"):
            self.spec.types.add(self.qualify(name))       # `opaque T : Type`, `def Unknown_X : Type := …`
            return
        if rest.startswith(":="):
            value = rest[2:].strip()
            if kw == "abbrev" or (not params and _looks_like_type(value)):
                full = self.qualify(name)
                self.spec.aliases[full] = (value.split("\n")[0].strip(), ".".join(self.namespace))
                self.spec.types.add(full)
                return
            result = ""   # no result type written: unknown
        elif rest.startswith(":") and not rest.startswith(":="):
            result = re.split(r":=|\swhere\s|\n\s*\|", rest[1:], maxsplit=1)[0].strip()
        else:
            return
        if not groups:
            arrow_params, result = _arrow_params(result)
            params = arrow_params
        if _TYPE_LEVEL.search(result) or any(_TYPE_LEVEL.search(p.type) for p in params):
            return
        full = self.qualify(name)
        group, _, short = full.rpartition(".")
        self.spec.operations.append(LeanOperation(
            full_name=full, group=group or full, name=short, params=params, result=result,
            doc=self.doc(doc), file=str(self.path)))


def _looks_like_type(value: str) -> bool:
    head = value.strip().split("\n")[0]
    return bool(re.match(r"^(List|Array|Option|Float|Int|Nat|String|Bool|Unit|Char|Except|"
                         r"\(|[A-Z]\w*(\s*×|\s*⊕|\s*→|\s*$))", head))


def _resolve_import(module: str, base: Path) -> Path | None:
    rel = Path(*module.split(".")).with_suffix(".lean")
    for directory in (base, *base.parents[:3]):
        candidate = directory / rel
        if candidate.is_file():
            return candidate
    return None


def parse_lean(path: Path, *, follow_imports: bool = True,
               allow: Callable[[Path], bool] | None = None) -> LeanSpec:
    """Parse `path` (and, with `follow_imports`, the local modules it imports, depth first, each
    once). `allow(path)` may refuse an imported file (e.g. outside the allowed roots)."""
    spec = LeanSpec()
    seen: set[Path] = set()

    def visit(file: Path) -> None:
        file = file.resolve()
        if file in seen:
            return
        seen.add(file)
        try:
            raw = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BackendError(f"cannot read Lean file {str(file)!r}: {exc}") from exc
        text, docs = strip_comments(raw)
        commands = _commands(text)
        if follow_imports:
            for _, cmd in commands:
                for module in re.findall(r"^import\s+([\w.]+)", cmd, re.MULTILINE):
                    target = _resolve_import(module, file.parent)
                    if target is not None and (allow is None or allow(target)):
                        visit(target)
        spec.files.append(str(file))
        parser = _FileParser(spec, file, docs)
        for doc, cmd in commands:
            if not cmd.startswith("import"):
                parser.command(doc, cmd)

    visit(path)
    return spec
