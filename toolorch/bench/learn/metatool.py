"""`toolorch bench learn --env metatool`: tool selection over 199 tools learned online from bandit
feedback, on MetaTool (HowieHwong/MetaTool, MIT; read from ../shared/bench/metatool/, never
copied).

Protocol (issue 9): the 20,614 (query, tool) rows are split 80/20 by a fixed seed; the train part
is streamed once; for each query an agent picks ONE tool and learns only whether that tool was
right (bandit feedback). Every `every` queries (and at the end) each agent ranks all 199 tools for
held-out queries: Acc@1 and NDCG@5 (one relevant tool: 1/log2(1 + rank) within the top 5).
Intermediate points use a fixed sample of `eval_sample` held-out queries, the final point all of
them. Embeddings: all-MiniLM-L6-v2 for queries and tool descriptions, the queries cached in
`.cache/metatool/` so reruns skip the ≈ 20k encodings.

Agents:
- `retrieval`: cosine(query, description), no learning (the zero-shot reference).
- `oats`: an outcome-updated centroid per tool (the OATS method): starts at its description
  embedding; a right pick moves it toward the query, a wrong one away (rate `eta`).
- `vw`: Vowpal Wabbit `cb_explore_adf --softmax`, shared = the query embedding, each action its
  name and its cosine to the query (the same prior the policy has), `-q sa`.
- `linucb`: disjoint LinUCB per tool on [query embedding, cosine to the tool's description].
- `kto`: toolorch's policy (`PolicyRunner`, production defaults) over a registry of the 199 tools:
  each scored from its description embedding + its learned residual; a right pick is a desirable
  experience, a wrong one (or STOP) undesirable.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)



def data_dir() -> Path:
    """../shared/bench/metatool beside the project (or TOOLORCH_METATOOL_DIR)."""
    import os

    from toolorch.config import PROJECT_ROOT

    env = os.environ.get("TOOLORCH_METATOOL_DIR")
    for cand in ([Path(env)] if env else []) + [PROJECT_ROOT.parent / "shared" / "bench" / "metatool",
                                                 PROJECT_ROOT.parent.parent / "shared" / "bench" / "metatool"]:
        if (cand / "all_clean_data.csv").is_file():
            return cand
    raise FileNotFoundError("MetaTool data not found: expected ../shared/bench/metatool/all_clean_data.csv "
                            "beside the project, or set TOOLORCH_METATOOL_DIR")


def load(directory: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """(queries, their tools, {tool: description})."""
    tools = json.loads((directory / "plugin_des.json").read_text(encoding="utf-8"))
    queries, labels = [], []
    with (directory / "all_clean_data.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            queries.append(row["Query"])
            labels.append(row["Tool"])
    unknown = sorted(set(labels) - set(tools))
    if unknown:
        raise ValueError(f"MetaTool rows name tools without a description: {unknown[:5]}")
    return queries, labels, tools


def cached_embeddings(texts: Sequence[str], embed: Callable[[list[str]], np.ndarray], cache: Path) -> np.ndarray:
    """Embeddings of `texts`, stored in `cache` under a digest of the texts (recomputed when they change)."""
    digest = hashlib.blake2b("\n".join(texts).encode(), digest_size=8).hexdigest()
    path = cache / f"embeddings-{digest}.npy"
    if path.is_file():
        loaded: np.ndarray = np.load(path)
        return loaded
    vecs = np.concatenate([np.asarray(embed(list(texts[i:i + 512])), dtype=np.float32)
                           for i in range(0, len(texts), 512)])
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def ranks(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1-based rank of the true tool in each row of scores (ties count against it)."""
    true = scores[np.arange(len(truth)), truth]
    counts: np.ndarray = (scores >= true[:, None]).sum(axis=1)
    return counts


def metrics(scores: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    r = ranks(scores, truth)
    return {"acc1": float((r == 1).mean()), "ndcg5": float(np.where(r <= 5, 1.0 / np.log2(1 + r), 0.0).mean())}


def spec_of(name: str, description: str) -> Any:
    """A registry entry for a MetaTool tool (characters outside the MCP name rule become `_`)."""
    import re

    from toolorch.registry.models import ToolSpec

    return ToolSpec.model_validate({
        "name": re.sub(r"[^A-Za-z0-9._-]", "_", name)[:128], "title": name, "description": description,
        "input_schema": {"type": "object", "properties": {}}, "output_schema": {"type": "object", "properties": {}},
        "backend": {"kind": "embedded", "target": "toolorch.bench.learn.metatool:spec_of"}})


# -- agents -----------------------------------------------------------------------------------
class Retrieval:
    name = "retrieval"

    def __init__(self, tools: np.ndarray) -> None:
        self.tools = tools

    def scores(self, q: np.ndarray) -> np.ndarray:
        out: np.ndarray = q @ self.tools.T
        return out

    def choose(self, i: int, q: np.ndarray) -> int:
        return int(np.argmax(self.scores(q[None])[0]))

    def feedback(self, i: int, q: np.ndarray, a: int, right: bool) -> None:
        return None


class OATS(Retrieval):
    name = "oats"

    def __init__(self, tools: np.ndarray, eta: float = 0.1) -> None:
        super().__init__(tools.copy())
        self.eta = eta

    def feedback(self, i: int, q: np.ndarray, a: int, right: bool) -> None:
        v = self.tools[a] + (self.eta if right else -self.eta) * q
        self.tools[a] = v / max(float(np.linalg.norm(v)), 1e-8)


class LinUCB:
    name = "linucb"

    def __init__(self, tools: np.ndarray, alpha: float = 0.3, ridge: float = 1.0) -> None:
        self.desc = tools
        n, d = tools.shape
        self.dim, self.alpha = d + 1, alpha
        self.a_inv = np.repeat((np.eye(self.dim) / ridge)[None], n, axis=0).astype(np.float32)
        self.b = np.zeros((n, self.dim), dtype=np.float32)
        self.theta = np.zeros((n, self.dim), dtype=np.float32)

    def _x(self, q: np.ndarray) -> np.ndarray:
        """(B, n, d+1): the query and its cosine to each tool."""
        cos = q @ self.desc.T
        return np.concatenate([np.broadcast_to(q[:, None, :], (len(q), len(self.desc), q.shape[1])),
                               cos[..., None]], axis=-1)

    def scores(self, q: np.ndarray) -> np.ndarray:
        d = self.dim - 1
        out: np.ndarray = q @ self.theta[:, :d].T + (q @ self.desc.T) * self.theta[:, d]
        return out

    def choose(self, i: int, q: np.ndarray) -> int:
        x = self._x(q[None])[0].astype(np.float32)                     # (n, d+1)
        ax = np.matmul(self.a_inv, x[:, :, None])[:, :, 0]             # (n, d+1)
        bonus = np.sqrt(np.maximum((x * ax).sum(-1), 0.0))
        return int(np.argmax((x * self.theta).sum(-1) + self.alpha * bonus))

    def feedback(self, i: int, q: np.ndarray, a: int, right: bool) -> None:
        x = self._x(q[None])[0, a]
        ax = self.a_inv[a] @ x
        self.a_inv[a] -= np.outer(ax, ax) / (1.0 + float(x @ ax))
        self.b[a] += float(right) * x
        self.theta[a] = self.a_inv[a] @ self.b[a]


class VW:
    name = "vw"

    def __init__(self, tools: np.ndarray, names: list[str], lam: float = 10.0, seed: int = 0) -> None:
        import vowpalwabbit

        self.desc, self.names = tools, [n.replace(":", "_").replace("|", "_").replace(" ", "_") for n in names]
        self.vw = vowpalwabbit.Workspace(f"--cb_explore_adf -q sa --softmax --lambda {lam} "
                                         f"--random_seed {seed} -b 22 --quiet")
        self.rng = np.random.default_rng(seed)
        self._pmf: np.ndarray | None = None

    def _example(self, q: np.ndarray, label: tuple[int, float, float] | None = None) -> list[str]:
        shared = "shared |s " + " ".join(f"q{j}:{v:.4f}" for j, v in enumerate(q))
        cos = self.desc @ q
        lines = [shared]
        for k, (name, c) in enumerate(zip(self.names, cos, strict=True)):
            head = f"0:{label[1]}:{label[2]} " if label is not None and label[0] == k else ""
            lines.append(f"{head}|a {name} |c cos:{c:.4f}")
        return lines

    def scores(self, q: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(self.vw.predict(self._example(row)), dtype=np.float64) for row in q])

    def choose(self, i: int, q: np.ndarray) -> int:
        pmf = np.asarray(self.vw.predict(self._example(q)), dtype=np.float64)
        self._pmf = pmf / pmf.sum()
        return int(self.rng.choice(len(pmf), p=self._pmf))

    def feedback(self, i: int, q: np.ndarray, a: int, right: bool) -> None:
        assert self._pmf is not None
        self.vw.learn(self._example(q, (a, 0.0 if right else 1.0, float(self._pmf[a]))))


class KTO:
    """The production policy and trainer over a registry made of the 199 MetaTool tools."""

    name = "kto"

    def __init__(self, names: list[str], descriptions: list[str], query_texts: list[str], qvecs: np.ndarray,
                 tool_vecs: np.ndarray, home: Path, seed: int = 0, text_scale: float = 20.0) -> None:
        from toolorch.config import Settings
        from toolorch.registry.registry import Registry
        from toolorch.rl.actions import tool_text
        from toolorch.rl.runner import PolicyRunner

        specs = [spec_of(n, d) for n, d in zip(names, descriptions, strict=True)]
        self.registry = Registry(specs)
        table = dict(zip(query_texts, qvecs, strict=True))
        table.update(zip([tool_text(s) for s in specs], tool_vecs, strict=True))

        def embed(texts: list[str]) -> np.ndarray:
            return np.stack([table[t] for t in texts])

        self.queries = query_texts
        from toolorch.rl.policy import PolicyConfig

        self.runner = PolicyRunner(self.registry, Settings(home=home), embed, background=False, persist=False,
                                   policy_config=PolicyConfig(text_scale=text_scale), seed=seed).start()
        self._last: Any = None

    def scores(self, q_idx: Sequence[int]) -> np.ndarray:
        from toolorch.core.state import State

        out = []
        for start in range(0, len(q_idx), 256):
            chunk = [State.of(self.queries[i]) for i in q_idx[start:start + 256]]
            out += [[c.probs[n] for n in self.registry.names] for c in self.runner.choose_batch(chunk, explore=False)]
        return np.asarray(out)

    def choose(self, i: int, q: np.ndarray) -> int:
        from toolorch.core.state import State

        self._last = self.runner.choose(State.of(self.queries[i]), explore=True)
        return self.registry.names.index(self._last.action) if self._last.action in self.registry else -1

    def feedback(self, i: int, q: np.ndarray, a: int, right: bool) -> None:
        from toolorch.core.state import State
        from toolorch.stores.experience import Experience

        c = self._last
        self.runner.observe([Experience(State(self.queries[i]), action=c.action, desirable=right, success=right, label_source="outcome",
                                        propensity=c.prob, policy_version=c.version, workflow_id=f"q{i}",
                                        strategy="bench")])


def run(out: Path, every: int = 1000, eval_sample: int = 1000, agents: Sequence[str] = ("retrieval", "oats", "vw", "linucb", "kto"),
        limit: int | None = None, seed: int = 0, kto_text_scale: float = 20.0, vw_lambda: float = 10.0) -> dict[str, Any]:
    import tempfile

    import torch

    from toolorch.backends.vectors.embedder import Embedder
    from toolorch.config import PROJECT_ROOT, Settings
    from toolorch.rl.actions import tool_text

    torch.set_num_threads(1)
    t_start = time.perf_counter()
    queries, labels, descs = load(data_dir())
    names = list(descs)
    index = {n: i for i, n in enumerate(names)}
    truth = np.array([index[t] for t in labels])
    perm = np.random.default_rng(seed).permutation(len(queries))
    cut = int(0.8 * len(queries))
    train_idx, test_idx = perm[:cut], perm[cut:]
    if limit:
        train_idx = train_idx[:limit]
    sample = np.random.default_rng(seed + 1).choice(test_idx, size=min(eval_sample, len(test_idx)), replace=False)
    embedder = Embedder(Settings())
    cache = PROJECT_ROOT / ".cache" / "metatool"
    qvecs = cached_embeddings(queries, embedder.embed, cache)
    texts = [tool_text(spec_of(n, descs[n])) for n in names]
    tvecs = cached_embeddings(texts, embedder.embed, cache)
    tvecs = tvecs / np.linalg.norm(tvecs, axis=1, keepdims=True)
    results: dict[str, Any] = {"train": len(train_idx), "test": len(test_idx), "tools": len(names), "agents": {}}
    with tempfile.TemporaryDirectory(prefix="toolorch-metatool-") as home:
        for name in agents:
            t0 = time.perf_counter()
            makers: dict[str, Callable[[], Any]] = {
                "retrieval": lambda: Retrieval(tvecs), "oats": lambda: OATS(tvecs),
                "vw": lambda: VW(tvecs, names, lam=vw_lambda, seed=seed), "linucb": lambda: LinUCB(tvecs),
                "kto": lambda: KTO(names, [descs[n] for n in names], queries, qvecs, tvecs, Path(home), seed,
                                   kto_text_scale)}
            agent: Any = makers[name]()

            def evaluate(idx: np.ndarray, agent: Any = agent) -> dict[str, float]:
                s = agent.scores([int(i) for i in idx]) if isinstance(agent, KTO) else agent.scores(qvecs[idx])
                return metrics(s, truth[idx])

            curve = [{"queries": 0, **evaluate(sample)}]
            right = 0
            for n, i in enumerate(train_idx, 1):
                a = agent.choose(int(i), qvecs[i])
                ok = a == truth[i]
                right += ok
                agent.feedback(int(i), qvecs[i], a, bool(ok))
                if n % every == 0 and n < len(train_idx):
                    curve.append({"queries": n, **evaluate(sample)})
            final = evaluate(test_idx)
            curve.append({"queries": len(train_idx), **final, "full_heldout": True})
            if isinstance(agent, KTO):
                learner = agent.runner.trainer.learner if agent.runner.trainer else None
                results.setdefault("kto_text_scale_final", float(learner.policy.text_scale.detach()) if learner else None)
            results["agents"][name] = {"final": final, "curve": curve, "online_acc": right / len(train_idx),
                                       "seconds": round(time.perf_counter() - t0, 1)}
            logger.info("metatool %s: held-out Acc@1 %.3f NDCG@5 %.3f (online %.3f, %.0fs)", name, final["acc1"],
                        final["ndcg5"], right / len(train_idx), time.perf_counter() - t0)
    results["wall_seconds"] = round(time.perf_counter() - t_start, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metatool.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    plot(results, out / "metatool.png")
    return results


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, r in results["agents"].items():
        ax.plot([c["queries"] for c in r["curve"]], [c["ndcg5"] for c in r["curve"]], marker=".", label=name)
    ax.axhline(0.94, color="grey", ls=":", lw=0.8, label="goal 0.94")
    ax.set_xlabel("train queries streamed (bandit feedback)")
    ax.set_ylabel("held-out NDCG@5")
    ax.set_title(f"MetaTool: {results['tools']} tools, {results['train']} train / {results['test']} held-out queries")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
