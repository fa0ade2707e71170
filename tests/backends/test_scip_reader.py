"""Reading and writing SCIP: the proto subset, gap filling, refusing what is not an index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toolorch.errors import BackendError, PathError
from toolorch.scip import read_index, write_index
from toolorch.scip._pb import file_descriptor_proto, messages
from toolorch.scip.kinds import split_documentation
from toolorch.scip.model import Document, Occurrence, ScipIndex, SymbolInfo

PROTO = Path(__file__).resolve().parents[2] / "toolorch" / "scip" / "scip.proto"


def test_runtime_schema_matches_the_committed_proto(tmp_path: Path) -> None:
    """scip.proto compiled by grpcio-tools' protoc and our runtime descriptor agree field by field."""
    out = tmp_path / "desc.pb"
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO.parent}",
                    f"--descriptor_set_out={out}", PROTO.name], check=True)
    from google.protobuf import descriptor_pb2

    compiled = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file[0]
    ours = file_descriptor_proto()

    def shape(fdp: descriptor_pb2.FileDescriptorProto) -> dict[str, list[tuple]]:
        return {m.name: sorted((f.name, f.number, f.type, f.label, f.type_name) for f in m.field)
                for m in fdp.message_type}

    assert compiled.package == ours.package == "scip"
    assert shape(compiled) == shape(ours)


def test_reader_fills_kinds_names_languages_and_signatures(indexed_sample) -> None:
    index = read_index(indexed_sample.index_path["python"])
    assert index.tool_name == "scip-python" and index.tool_version == "0.6.6"
    docs = {d.relative_path: d for d in index.documents}
    geometry = docs["shapes/geometry.py"]
    assert geometry.language == "python"
    infos = {s.display_name: s for s in geometry.symbols}
    hav = infos["haversine"]
    assert hav.kind == "function"
    assert hav.signature.startswith("def haversine(") and "```" not in hav.signature
    assert hav.enclosing_symbol.endswith("`shapes.geometry`/__init__:")
    circle = {s.display_name: s for s in docs["shapes/circle.py"].symbols}
    assert circle["Circle"].kind == "class"
    assert circle["scaled"].kind == "method"
    assert circle["__init__"].kind == "constructor"
    # scip-python gives no enclosing ranges: the reader computes them from the source
    hav_def = next(o for o in geometry.occurrences if o.symbol == hav.symbol and o.is_definition)
    assert hav_def.range[0] == 26 and hav_def.enclosing_range is not None
    assert hav_def.enclosing_range[2] > hav_def.range[0] + 5

    ts = read_index(indexed_sample.index_path["typescript"])
    kinds = {s.display_name: s.kind for d in ts.documents for s in d.symbols}
    assert kinds["Shape"] == "interface" and kinds["ShapeKind"] == "enum"
    assert kinds["Square"] == "class" and kinds["totalArea"] == "function"
    assert {d.language for d in ts.documents} == {"typescript"}


def test_split_documentation() -> None:
    sig, prose = split_documentation(["```python\ndef f(\n  x: int\n) -> int:\n```", "Doc text."])
    assert sig == "def f(\n  x: int\n) -> int:" and prose == "Doc text."
    assert split_documentation(["(module) shapes", "Module doc."]) == ("", "Module doc.")


def test_write_then_read_round_trips(tmp_path: Path, indexed_sample) -> None:
    original = read_index(indexed_sample.index_path["typescript"])
    copy = write_index(original, tmp_path / "copy.scip")
    again = read_index(copy)
    assert again.counts() == original.counts()
    for a, b in zip(original.documents, again.documents, strict=True):
        assert a.relative_path == b.relative_path and a.language == b.language
        assert [(o.symbol, o.range, o.roles, o.enclosing_range) for o in a.occurrences] == \
               [(o.symbol, o.range, o.roles, o.enclosing_range) for o in b.occurrences]
        assert [(s.symbol, s.kind, s.display_name, s.documentation) for s in a.symbols] == \
               [(s.symbol, s.kind, s.display_name, s.documentation) for s in b.symbols]


def test_written_index_uses_standard_wire_format(tmp_path: Path) -> None:
    index = ScipIndex("file:///x", "t", "1", [Document(
        "a.rs", "rust", [Occurrence("s m p v f().", (1, 2, 1, 5), 1, (1, 0, 3, 1))],
        [SymbolInfo("s m p v f().", "function", "f")])])
    path = write_index(index, tmp_path / "x.scip")
    raw = messages().Index.FromString(path.read_bytes())
    occ = raw.documents[0].occurrences[0]
    assert list(occ.range) == [1, 2, 5]            # one-line range: 3-int form
    assert list(occ.enclosing_range) == [1, 0, 3, 1]
    assert raw.documents[0].symbols[0].kind == 17   # Function
    assert raw.documents[0].position_encoding == 1  # UTF-8 bytes for Rust


def test_missing_file_is_a_path_error(tmp_path: Path) -> None:
    with pytest.raises(PathError, match="does not exist"):
        read_index(tmp_path / "nope.scip")


@pytest.mark.parametrize("content", [b"", b"hello, this is plain text\n", b"\xff\xfe\x00garbage",
                                     b'{"json": true}'])
def test_non_scip_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.scip"
    path.write_bytes(content)
    with pytest.raises(BackendError, match="not a SCIP index"):
        read_index(path)
