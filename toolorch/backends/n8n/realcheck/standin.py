"""A local stand-in of the operation service the generated artifacts call.

`POST /<Lean.full.name>` answers a value of the operation's Lean result type (`sample_value`:
a structure is an object of its fields, a list has two elements, so a list that fans out into
items shows as extra downstream requests), distinct per operation, and records every request
(path, JSON body, Authorization header). `GET /` answers 200 (the credentials test).
Bound to 127.0.0.1 on a free port, served from a thread, stopped on exit.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from toolorch.backends.n8n.leanparse import LeanOperation, LeanSpec
from toolorch.backends.n8n.operations import _strip_parens

_NUMBERS = {"Int", "Nat", "UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64", "USize"}


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:2], "big")


def sample_value(type_text: str, spec: LeanSpec, namespace: str, tag: str, depth: int = 0) -> Any:
    """A JSON value of the Lean type `type_text` (written inside `namespace`), marked by `tag`."""
    t = _strip_parens(type_text)
    if t.startswith("Option "):
        t = _strip_parens(t[len("Option "):])
    if depth > 3:
        return {}
    if t in _NUMBERS or t.startswith("Fin "):
        return _seed(tag) % 1000
    if t in ("Float", "Float32"):
        return (_seed(tag) % 1000) + 0.5
    if t in ("String", "Char", "Substring"):
        return f"{tag}"
    if t == "Bool":
        return True
    if t in ("Unit", "PUnit", ""):
        return {}
    head, _, rest = t.partition(" ")
    if head in ("List", "Array") and rest:
        return [sample_value(rest, spec, namespace, f"{tag}[{i}]", depth + 1) for i in range(2)]
    if head == "Except" and rest:
        return sample_value(rest.split(" ", 1)[-1], spec, namespace, tag, depth + 1)
    parts = _top_level(t, "×")
    if len(parts) > 1:
        return [sample_value(p, spec, namespace, f"{tag}.{i}", depth + 1) for i, p in enumerate(parts)]
    enum = spec.find_enum(t, namespace)
    if enum:
        return enum[0]
    alias = spec.find_alias(t, namespace)
    if alias is not None:
        return sample_value(alias[0], spec, alias[1], tag, depth + 1)
    full = spec.resolve(t, namespace)
    structure = next((s for s in spec.structures if s.full_name == full), None)
    if structure is not None:
        return {f.name: sample_value(f.type, spec, full, f"{tag}.{f.name}", depth + 1) for f in structure.fields}
    return {"opaque": t, "tag": tag}


def _top_level(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


@dataclass(slots=True)
class Request:
    path: str
    body: Any
    authorization: str


class StandIn:
    """The stand-in service for the operations of `spec` (`responses`: path → answer)."""

    def __init__(self, spec: LeanSpec, operations: list[LeanOperation]) -> None:
        self.responses = {f"/{op.full_name}": sample_value(op.result, spec, op.group, op.name)
                          for op in operations}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, code: int, value: Any) -> None:
                data = json.dumps(value).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self._answer(200, {"ok": True})

            def do_POST(self) -> None:  # noqa: N802
                size = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(size).decode("utf-8", "replace")
                try:
                    body = json.loads(raw) if raw else {}    # n8n sends no body for {}
                except ValueError:
                    body = raw
                with stand_in._lock:
                    stand_in.requests.append(Request(self.path, body, self.headers.get("authorization") or ""))
                path = self.path.replace("%2E", ".").replace("%2e", ".")
                if path in stand_in.responses:
                    self._answer(200, stand_in.responses[path])
                else:
                    self._answer(404, {"error": f"no operation {path}"})

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def response(self, operation: str) -> Any:
        return self.responses[f"/{operation}"]

    def take(self) -> list[Request]:
        with self._lock:
            out, self.requests = self.requests, []
        return out

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
