"""Rust idioms (issue 11, point 6): `Self::f(…)` in a trait's default method and `T::f(…)`
through a trait bound (inline, `where`, on an impl), resolved by toolorch's Rust indexer."""

from __future__ import annotations

from pathlib import Path

from tests.backends.scip.conftest import write
from toolorch.backends.graph.builder import build_graph
from toolorch.backends.scip.rust_indexer import build_index

SOURCE = """/// Reads numbers.
pub trait Reader {
    fn read_u16(&mut self) -> u16;
    /// Two at once.
    fn read_pair(&mut self) -> (u16, u16) {
        (Self::read_u16(self), Self::read_u16(self))
    }
}

pub trait Other {
    fn read_u16(&mut self) -> u16;
}

pub fn twice<T: Reader>(r: &mut T) -> u16 {
    T::read_u16(r) + T::read_u16(r)
}

pub fn thrice<R>(r: &mut R) -> u16 where R: Clone + Reader {
    R::read_u16(r)
}

pub fn ambiguous<A: Reader + Other>(r: &mut A) -> u16 {
    A::read_u16(r)
}

pub struct Wrapper<T>(pub T);

impl<T: Reader> Wrapper<T> {
    pub fn go(&mut self) -> u16 {
        T::read_u16(&mut self.0)
    }
}
"""


def test_self_and_bound_paths_resolve_to_the_trait_method(tmp_path: Path) -> None:
    root = write(tmp_path / "reader", {
        "Cargo.toml": '[package]\nname = "reader"\nversion = "0.1.0"\n', "src/lib.rs": SOURCE})
    index = build_index(root)
    graph = build_graph(index, "reader", lambda rel: (root / rel).read_text())
    names = {row["id"]: row["name"] for row in graph.nodes["Symbol"]}
    reader_method = "reader:rust-analyzer cargo reader 0.1.0 Reader#read_u16()."
    calls = {(names[e["src"]], e["dst"]): e["count"] for e in graph.edges["CALLS"]}
    assert calls[("read_pair", reader_method)] == 2
    assert calls[("twice", reader_method)] == 2
    assert calls[("thrice", reader_method)] == 1
    assert calls[("go", reader_method)] == 1
    # two bounds declaring read_u16: left out rather than guessed
    assert not any(caller == "ambiguous" for caller, _ in calls)
