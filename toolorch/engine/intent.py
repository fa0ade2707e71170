"""What a goal without a deliverable asks for: intent retrieval over the registry's own text.

Each tool is one document: its title, description, capabilities and the names of the artifacts
it produces, with other tools' names taken out (every description says "made by
scip_index_code", which would pull every goal towards indexing). A goal is scored against every
document, as a whole and clause by clause ("index and search" → index, search); a clause whose
best tool is clearly ahead (softmax confidence ≥ `threshold`) becomes a deliverable. A goal with no
confident clause is *unsure*: the orchestrator then asks for a deliverable instead of running
everything.

Two scorers: dense (all-MiniLM-L6-v2 cosine, the embedder the policy and search use) and lexical
(TF-IDF cosine over stemmed words: instant, no model). `toolorch bench intent` measures both on
the public task suite's phrasings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolorch.errors import PlanningError

if TYPE_CHECKING:
    import numpy as np

    from toolorch.registry import Registry

EmbedFn = Callable[[list[str]], "np.ndarray"]

_WORD = re.compile(r"[a-z0-9]+")
_CLAUSES = re.compile(r"\s*(?:;|\band then\b|\bthen\b|\band\b|\bafter that\b)\s*", re.I)
_STOP = frozenset(
    "a an the of to in on for from with by and or is are be it its this that these those my me i "
    "we you your our so as at into out all any some can could would should will do does did give "
    "show get use using make let please want need just now also which what who how where there "
    "here than then only each every project code base repository repo".split()
)


# softmax temperatures: cosine gaps between tools are ~3× smaller for dense vectors than for
# sparse TF-IDF ones
_DENSE_T = 0.03
_LEXICAL_T = 0.08


def _stem(word: str) -> str:
    for suffix in ("ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def words(text: str) -> list[str]:
    """Lower-case stemmed content words (underscored names split: `search_text` → search, text)."""
    return [_stem(w) for w in _WORD.findall(text.lower().replace("_", " ")) if w not in _STOP]


def clauses(goal: str) -> list[str]:
    """The goal's parts joined by "and", "then", commas: each may ask for something else."""
    return [c for c in _CLAUSES.split(goal) if len(words(c)) >= 1]


@dataclass(frozen=True, slots=True)
class Guess:
    """One scored reading of (part of) a goal."""

    text: str
    tool: str
    confidence: float                        # softmax probability of the best tool
    ranking: list[tuple[str, float]]         # (tool, probability), best first


@dataclass(slots=True)
class Intent:
    """What the goal asks for: `deliverables` (tool names, empty when unsure), how sure, why."""

    goal: str
    deliverables: list[str]
    confidence: float
    scorer: str
    guesses: list[Guess] = field(default_factory=list)
    threshold: float = 0.0

    @property
    def sure(self) -> bool:
        return bool(self.deliverables)

    def to_dict(self) -> dict[str, Any]:
        whole = self.guesses[0] if self.guesses else None
        return {
            "deliverables": self.deliverables,
            "confidence": round(self.confidence, 3),
            "scorer": self.scorer,
            "threshold": self.threshold,
            "candidates": [{"tool": t, "probability": round(p, 3)} for t, p in (whole.ranking[:3] if whole else [])],
            "clauses": [{"text": g.text, "tool": g.tool, "confidence": round(g.confidence, 3)} for g in self.guesses[1:]],
        }


class IntentIndex:
    """The registry's tools as retrieval documents; `infer(goal)` reads a goal."""

    def __init__(self, registry: Registry, embed: EmbedFn | None = None, *,
                 threshold: float = 0.5) -> None:
        self.registry = registry
        self.tools = [t.name for t in registry]
        self.docs = [_document(t, self.tools) for t in registry]
        self.threshold = threshold
        self._embed = embed
        self.scorer = "minilm+lexical" if embed is not None else "lexical"
        self._doc_vectors: np.ndarray | None = None
        self._idf, self._doc_tf = _tfidf_fit([words(d) for d in self.docs])

    # -- scoring --------------------------------------------------------------------------------
    def lexical(self, texts: Sequence[str]) -> list[list[float]]:
        """TF-IDF cosine of each text against each tool document."""
        return [[_cosine(self._tf(t), d) for d in self._doc_tf] for t in texts]

    def dense(self, texts: Sequence[str]) -> list[list[float]]:
        """MiniLM cosine of each text against each tool document."""
        assert self._embed is not None
        if self._doc_vectors is None:
            self._doc_vectors = self._embed(self.docs)
        q = self._embed(list(texts))
        sims: list[list[float]] = (q @ self._doc_vectors.T).tolist()
        return sims

    def probabilities(self, texts: Sequence[str]) -> list[list[float]]:
        """Per text, a distribution over the tools: lexical, or the mean of dense and lexical
        (each sharpened by its own temperature; measured better than either alone)."""
        lex = [_softmax([s / _LEXICAL_T for s in row]) for row in self.lexical(texts)]
        if self._embed is None:
            return lex
        dense = [_softmax([s / _DENSE_T for s in row]) for row in self.dense(texts)]
        return [[(a + b) / 2 for a, b in zip(d, x, strict=True)] for d, x in zip(dense, lex, strict=True)]

    def guess(self, texts: Sequence[str]) -> list[Guess]:
        out = []
        for text, probs in zip(texts, self.probabilities(texts), strict=True):
            ranking = sorted(zip(self.tools, probs, strict=True), key=lambda tp: -tp[1])
            out.append(Guess(text, ranking[0][0], ranking[0][1], ranking))
        return out

    def infer(self, goal: str, available: set[str] | None = None) -> Intent:
        """The deliverables the goal asks for, given the artifacts `available` (the inputs); none
        when no reading is confident enough."""
        parts = clauses(goal)
        texts = [goal, *parts] if len(parts) > 1 else [goal]
        guesses = self.guess(texts)
        whole, rest = guesses[0], guesses[1:]
        chosen: list[str] = []
        for g in [whole, *rest]:
            if g.confidence >= self.threshold and g.tool not in chosen:
                chosen.append(g.tool)
        have = available or set()
        # a tool that made one of the inputs has run already ("from my Lean spec, ...")
        chosen = [t for t in chosen if not (self.registry.dataflow.made_by[t] & have)]
        chosen = self._without_prerequisites(chosen, have)
        sure = [g.confidence for g in guesses if g.tool in chosen and g.confidence >= self.threshold]
        confidence = min(sure) if sure else whole.confidence
        return Intent(goal, chosen, confidence, self.scorer, guesses, self.threshold)

    def _without_prerequisites(self, tools: list[str], available: set[str]) -> list[str]:
        """Drop a tool another chosen one runs anyway ("index and search": search needs the index)."""
        flow = self.registry.dataflow
        needed: set[str] = set()
        for t in tools:
            try:
                needed |= set(flow.plan_for(t, available)) - {t}
            except PlanningError:  # not from these inputs: planning later says what is missing
                continue
        return [t for t in tools if t not in needed]

    def _tf(self, text: str) -> dict[str, float]:
        return _weigh(Counter(words(text)), self._idf)


def _document(spec: Any, names: list[str]) -> str:
    text = " ".join([
        spec.title + ".", spec.description,
        "Produces " + ", ".join(p.artifact.replace("_", " ") for p in spec.produces) + ".",
        "Capabilities: " + ", ".join(c.replace("-", " ") for c in spec.capabilities) + ".",
    ])
    for other in names:
        if other != spec.name:
            text = text.replace(other, " ")
    return re.sub(r"`|\s+", " ", text).strip()


def _tfidf_fit(docs: list[list[str]]) -> tuple[dict[str, float], list[dict[str, float]]]:
    n = len(docs)
    df = Counter(w for d in docs for w in set(d))
    idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
    return idf, [_weigh(Counter(d), idf) for d in docs]


def _weigh(tf: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vec = {w: (1 + math.log(c)) * idf[w] for w, c in tf.items() if w in idf}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {w: v / norm for w, v in vec.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


def _softmax(xs: list[float]) -> list[float]:
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    s = sum(e)
    return [v / s for v in e]
