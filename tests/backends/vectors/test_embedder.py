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
    return Embedder()


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
