"""Every line gets an answer over real stdio (issue 13, point 3): a request nested ≈ 200 levels
got no response at all before, because the SDK drops lines it cannot parse."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from server.unreadable import INVALID_REQUEST, PARSE_ERROR, error_for, request_id

ROOT = Path(__file__).resolve().parents[2]


def test_request_id_is_the_top_level_one() -> None:
    assert request_id('{"jsonrpc":"2.0","id":7,"method":"x","params":{"id":9}}') == 7
    assert request_id('{"jsonrpc":"2.0","method":"x","params":{"a":1},"id":"r-1"}') == "r-1"
    assert request_id('{"jsonrpc":"2.0","method":"x","params":{"id":9}}') == 9   # best effort
    assert request_id('{"jsonrpc":"2.0","method":"x"}') is None
    assert request_id('{"id": true}') is None


def test_error_for_names_the_reason() -> None:
    import mcp_types as types

    deep = '{"jsonrpc":"2.0","id":3,"method":"ping","params":{"a":' + '[' * 300 + ']' * 300 + '}}'
    with pytest.raises(Exception) as exc:
        types.jsonrpc_message_adapter.validate_json(deep, by_name=False)
    reply = error_for(exc.value)
    assert (reply.id, reply.error.code) == (3, INVALID_REQUEST)
    assert "nested too deeply" in reply.error.message
    with pytest.raises(Exception) as exc:
        types.jsonrpc_message_adapter.validate_json('{"id": 4, nope', by_name=False)
    reply = error_for(exc.value)
    assert (reply.id, reply.error.code) == (4, PARSE_ERROR) and "not valid JSON" in reply.error.message
    with pytest.raises(Exception) as exc:
        types.jsonrpc_message_adapter.validate_json('{"id": 5, "x": 1}', by_name=False)
    assert error_for(exc.value).error.code == INVALID_REQUEST


def _deep(depth: int) -> str:
    return '{"a":' * depth + "{}" + "}" * depth


def test_every_line_is_answered_over_stdio(tmp_path: Path) -> None:
    env = {**os.environ, "TOOLORCH_HOME": str(tmp_path / "home"), "TOOLORCH_POLICY_ENABLED": "0",
           "TOOLORCH_ALLOWED_ROOTS": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "server"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None

    def send(line: str) -> None:
        proc.stdin.write(line.encode() + b"\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]

    def answer(timeout: float = 15.0) -> dict[str, Any]:
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        assert ready, "no answer"
        return json.loads(proc.stdout.readline())  # type: ignore[union-attr]

    try:
        send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}))
        assert answer()["id"] == 1
        send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
        for depth in (200, 5000):
            send(f'{{"jsonrpc":"2.0","id":{depth},"method":"tools/call","params":'
                 f'{{"name":"glean_query_code","arguments":{{"query":{_deep(depth)}}}}}}}')
            got = answer()
            assert got["id"] == depth and got["error"]["code"] == INVALID_REQUEST, got
        send("this is not json")
        got = answer()
        assert got["id"] is None and got["error"]["code"] == PARSE_ERROR
        proc.stdin.write(b'{"jsonrpc":"2.0","id":8,"method":"\xff\xfe"}\n')  # not UTF-8 on the wire
        proc.stdin.flush()
        got = answer()                                         # read with U+FFFD: no such method
        assert got["id"] == 8 and got["error"]["code"] == -32601, got
        send('{"jsonrpc":"2.0","id":9,"method":"ping"}')       # the server is alive and reading
        assert answer() == {"jsonrpc": "2.0", "id": 9, "result": {}}
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=10)
    assert b"Traceback" not in err, err.decode()[-2000:]
