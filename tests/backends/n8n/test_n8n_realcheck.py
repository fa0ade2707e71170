"""The pieces of `make check-n8n` that need no n8n: the stand-in service, its typed answers,
reading n8n's CLI output, what a Prepare node must send."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from toolorch.backends.n8n.leanparse import parse_lean
from toolorch.backends.n8n.realcheck.checks import _expected_body
from toolorch.backends.n8n.realcheck.engine import Engine, first_json
from toolorch.backends.n8n.realcheck.standin import StandIn, sample_value
from toolorch.errors import NotAvailableError

from .conftest import HANDWRITTEN

SPEC = HANDWRITTEN.replace("end Calc", "opaque many (n : Nat) : List (Float × String)\nend Calc")


def test_answers_are_typed_as_the_lean_result(tmp_path: Path) -> None:
    lean = tmp_path / "Calc.lean"
    lean.write_text(SPEC)
    spec = parse_lean(lean)
    assert sample_value("Circle", spec, "Calc", "t") == {"radius": 454.5, "label": "t.label"}
    assert sample_value("Option Kind", spec, "Calc", "t") == "round"
    assert sample_value("List (Float × String)", spec, "Calc", "m") == [[sample_value("Float", spec, "Calc", "m[0].0"), "m[0].1"],
                                                                       [sample_value("Float", spec, "Calc", "m[1].0"), "m[1].1"]]
    assert sample_value("Nat", spec, "Calc", "a") != sample_value("Nat", spec, "Calc", "b")
    assert sample_value("Unit", spec, "Calc", "u") == {} and sample_value("Bool", spec, "Calc", "b") is True
    assert sample_value("Mystery", spec, "Calc", "x") == {"opaque": "Mystery", "tag": "x"}


def test_the_stand_in_records_and_answers(tmp_path: Path) -> None:
    lean = tmp_path / "Calc.lean"
    lean.write_text(SPEC)
    spec = parse_lean(lean)
    with StandIn(spec, spec.operations) as stand_in:
        assert stand_in.url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(f"{stand_in.url}/Calc.make", data=json.dumps({"r": 1}).encode(),
                                         headers={"Authorization": "Bearer k", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read()) == stand_in.response("Calc.make") == sample_value("Circle", spec, "Calc", "make")
        empty = urllib.request.Request(f"{stand_in.url}/Calc.area", data=b"", method="POST")
        urllib.request.urlopen(empty, timeout=10).close()
        taken = stand_in.take()
        assert [(r.path, r.body, r.authorization) for r in taken] == [("/Calc.make", {"r": 1}, "Bearer k"),
                                                                       ("/Calc.area", {}, "")]
        assert stand_in.take() == []


def test_cli_output_and_expected_bodies() -> None:
    text = 'Failed to start Python task runner {not json}\n{"other": 1}\n{"data": {"resultData": {}}, "status": "success"}\n'
    assert first_json(text, "data") == {"data": {"resultData": {}}, "status": "success"}
    assert first_json("no json here", "data") is None
    prepare = {"parameters": {"assignments": {"assignments": [
        {"name": "c", "value": "={{ JSON.parse($('Call make').first().json.body) }}"},
        {"name": "xs", "value": "={{ [] }}"}, {"name": "o", "value": "={{ {} }}"}, {"name": "n", "value": 0}]}}}
    assert _expected_body(prepare, {"Call make": {"radius": 2}}) == {"c": {"radius": 2}, "xs": [], "o": {}, "n": 0}


def test_the_engine_is_found_by_its_stamp(tmp_path: Path) -> None:
    with pytest.raises(NotAvailableError, match="no n8n engine in .*install_engine.sh"):
        Engine(tmp_path).check()
