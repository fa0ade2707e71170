"""Which declarations the Lean generator writes (the public API by default) and which class a
type name means (the symbol the index resolved, never the first class of that name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolorch.backends.lean4.tool import generate_specs
from toolorch.backends.lean4.visibility import public_name, public_path
from toolorch.scip.model import DEFINITION, READ_ACCESS, Document, Occurrence, ScipIndex, SymbolInfo
from toolorch.scip.writer import write_index

from .test_lean4_generate import make_ctx

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


PKG = "scip-python python webapp 0.1.0 "


def _doc(path: str, module: str, decls: list[tuple[str, str, str, str, list[str]]]) -> Document:
    """A document as scip-python writes it: one symbol per (descriptor, kind, name, signature,
    referenced type symbols), one line each, the references as occurrences on that line."""
    symbols: list[SymbolInfo] = []
    occurrences: list[Occurrence] = []
    for line, (descriptor, kind, name, sig, refs) in enumerate(decls):
        symbol = f"{PKG}`{module}`/{descriptor}"
        symbols.append(SymbolInfo(symbol, kind, name, [f"```python\n{sig}\n```"], sig))
        occurrences.append(Occurrence(symbol, (line, 4, line, 4 + len(name)), DEFINITION, (line, 0, line, 40)))
        for i, ref in enumerate(refs):
            occurrences.append(Occurrence(ref, (line, 20 + 10 * i, line, 28 + 10 * i), READ_ACCESS))
    return Document(path, "python", occurrences, symbols)


HTTP_RESPONSE = f"{PKG}`webapp.http`/Response#"
EXAMPLE_RESPONSE = f"{PKG}`examples.app.application`/Response#"
REQUESTS_RESPONSE = "scip-python python requests 2.32.0 `requests.models`/Response#"


def response_index() -> ScipIndex:
    """The case found on a real project: the package's own `Response`, an example app with
    another `Response` (sorted first by path), a module returning the package's one, a module
    returning the `Response` of an installed library, tests, and private helpers."""
    return ScipIndex("file:///nonexistent/webapp", "scip-python", "0.6.6", [
        _doc("examples/app/application.py", "examples.app.application", [
            ("Response#", "class", "Response", "class Response:", []),
            ("Response#text.", "field", "text", "(variable) text: str", []),
            ("handle().", "function", "handle", "def handle(path: str) -> Response:", [EXAMPLE_RESPONSE]),
        ]),
        _doc("tests/test_http.py", "tests.test_http", [
            ("test_ok().", "function", "test_ok", "def test_ok() -> None:", []),
        ]),
        _doc("webapp/_internal.py", "webapp._internal", [
            ("secret().", "function", "secret", "def secret(x: int) -> int:", []),
        ]),
        _doc("webapp/app.py", "webapp.app", [
            ("index().", "function", "index", "def index() -> Response:", [HTTP_RESPONSE]),
            ("proxy().", "function", "proxy", "def proxy(url: str) -> Response:", [REQUESTS_RESPONSE]),
            ("_render().", "function", "_render", "def _render(body: str) -> str:", []),
        ]),
        _doc("webapp/http.py", "webapp.http", [
            ("Response#", "class", "Response", "class Response:", []),
            ("Response#status.", "field", "status", "(variable) status: int", []),
            ("Response#_raw.", "field", "_raw", "(variable) _raw: bytes", []),
            ("Response#__init__().", "constructor", "__init__", "def __init__(self, status: int) -> None:", []),
            ("Response#_decode().", "method", "_decode", "def _decode(self) -> str:", []),
            ("ok().", "function", "ok", "def ok(body: str) -> Response:", [HTTP_RESPONSE]),
        ]),
    ])


async def test_a_type_is_the_class_the_index_resolved(tmp_path: Path) -> None:
    index = write_index(response_index(), tmp_path / "index.scip")
    out = await generate_specs({"scip_index_path": str(index), "project_name": "webapp",
                                "public_only": False}, make_ctx(tmp_path))
    app = (Path(out["project_dir"]) / "Webapp/Webapp/App.lean").read_text()
    # `index` returns the package's Response, not the example app's (sorted first by path)
    assert "opaque index : Webapp.Webapp.Http.Response" in app
    assert "import Webapp.Webapp.Http\n" in app and "Examples" not in app
    # a Response the index resolved to an installed library is no class of this project
    assert "opaque proxy (url : String) : Unknown_Response" in app
    example = (Path(out["project_dir"]) / "Webapp/Examples/App/Application.lean").read_text()
    assert "opaque handle (path : String) : Response" in example


async def test_the_public_api_only_by_default(tmp_path: Path) -> None:
    index = write_index(response_index(), tmp_path / "index.scip")
    out = await generate_specs({"scip_index_path": str(index), "project_name": "webapp"}, make_ctx(tmp_path))
    assert out["modules"] == ["Webapp.Webapp.App", "Webapp.Webapp.Http"]
    assert out["declarations"] == ["Webapp.Webapp.App.index", "Webapp.Webapp.App.proxy",
                                   "Webapp.Webapp.Http.Response.new", "Webapp.Webapp.Http.ok"]
    http = (Path(out["project_dir"]) / "Webapp/Webapp/Http.lean").read_text()
    assert "structure Response where\n  status : Int\n  deriving Inhabited" in http
    assert out["excluded"] == {
        "files": ["examples/app/application.py", "tests/test_http.py", "webapp/_internal.py"],
        "file_count": 3, "declaration_count": 5,
        "names": ["webapp/app.py: _render", "webapp/http.py: Response._raw",
                  "webapp/http.py: Response._decode"],
        "reason": "public API only (public_only=true): tests/, examples/, benches/, docs/ and "
                  "_private names are left out; pass public_only=false to include them",
    }
    everything = await generate_specs({"scip_index_path": str(index), "project_name": "webapp",
                                       "public_only": False}, make_ctx(tmp_path))
    assert len(everything["declarations"]) == 9 and everything["excluded"]["file_count"] == 0


@pytest.mark.parametrize(("path", "public"), [
    ("webapp/http.py", True), ("src/webapp/__init__.py", True), ("src/lib.rs", True),
    ("tests/test_http.py", False), ("test/util.ts", False), ("pkg/tests/helpers.py", False),
    ("examples/app/application.py", False), ("example/demo.rs", False), ("benches/speed.rs", False),
    ("docs/conf.py", False), ("src/__tests__/a.ts", False), ("pkg/test_http.py", False),
    ("pkg/http_test.py", False), ("pkg/conftest.py", False), ("src/a.test.ts", False),
    ("src/a.spec.tsx", False), ("webapp/_internal.py", False), ("src/latest.py", True),
    ("contest/x.py", True), ("test.py", False), ("pkg/tests.py", False), ("testing.py", True),
])
def test_public_paths(path: str, public: bool) -> None:
    assert public_path(path) is public


@pytest.mark.parametrize(("language", "name", "signature", "public"), [
    ("python", "ok", "def ok() -> None:", True),
    ("python", "_helper", "def _helper() -> None:", False),
    ("python", "__init__", "def __init__(self) -> None:", True),
    ("python", "__call__", "def __call__(self) -> None:", True),
    ("python", "_", "def _() -> None:", False),
    ("typescript", "area", "(method) area(): number", True),
    ("typescript", "#secret", "(method) #secret(): number", False),
    ("typescript", "cache", "(property) private cache: number", False),
    ("typescript", "hook", "(method) protected hook(): void", False),
    ("rust", "haversine", "pub fn haversine(a: LatLon, b: LatLon) -> f64", True),
    ("rust", "helper", "fn helper() -> f64", False),
    ("rust", "krate", "pub(crate) fn krate() -> f64", False),
])
def test_public_names(language: str, name: str, signature: str, public: bool) -> None:
    assert public_name(name, signature, language, member=False) is public


def test_rust_methods_without_pub_are_kept() -> None:
    """`fn area(&self)` inside `impl Shape for Circle` is public through the trait; the index
    does not say which impl a method is in, so methods are not judged by `pub`."""
    assert public_name("area", "fn area(&self) -> f64", "rust", member=True) is True


async def test_manifest_facts_are_written_for_the_n8n_generators(tmp_path: Path) -> None:
    project = tmp_path / "webapp"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "webapp"\nversion = "1.2.3"\ndescription = "A web app."\nlicense = "BSD-3-Clause"\n'
        'authors = [{name = "Ada Lovelace", email = "ada@example.org"}]\n\n'
        '[project.urls]\nHomepage = "https://webapp.example.org"\n')
    index = response_index()
    index.project_root = project.as_uri()
    path = write_index(index, tmp_path / "index.scip")
    out = await generate_specs({"scip_index_path": str(path), "project_name": "webapp"}, make_ctx(tmp_path))
    source = json.loads((Path(out["project_dir"]) / "toolorch-source.json").read_text())
    assert source == {"project_name": "webapp", "language": "python", "manifest": "pyproject.toml",
                      "name": "webapp", "version": "1.2.3", "description": "A web app.",
                      "author": {"name": "Ada Lovelace", "email": "ada@example.org"},
                      "homepage": "https://webapp.example.org", "license": "BSD-3-Clause"}


@pytest.mark.parametrize(("name", "text", "facts"), [
    ("package.json", json.dumps({"name": "geom", "version": "2.0.0", "author": "Grace Hopper <grace@example.org> (https://g.example.org)",
                                 "repository": {"type": "git", "url": "git+https://github.com/acme/geom.git"}, "license": "MIT"}),
     {"manifest": "package.json", "name": "geom", "version": "2.0.0", "license": "MIT",
      "author": {"name": "Grace Hopper", "email": "grace@example.org"}, "homepage": "https://github.com/acme/geom"}),
    ("Cargo.toml", '[package]\nname = "shapes"\nversion = "0.3.0"\nauthors = ["Linus <l@example.org>"]\n'
                   'repository = "https://example.org/shapes"\n',
     {"manifest": "Cargo.toml", "name": "shapes", "version": "0.3.0", "author": {"name": "Linus", "email": "l@example.org"},
      "homepage": "https://example.org/shapes"}),
    ("pyproject.toml", '[project]\nname = "bare"\n', {"manifest": "pyproject.toml", "name": "bare"}),
    ("pyproject.toml", "this is [not toml", {}),
])
def test_manifests(tmp_path: Path, name: str, text: str, facts: dict[str, object]) -> None:
    from toolorch.backends.lean4.manifest import read_manifest

    (tmp_path / name).write_text(text)
    assert read_manifest(tmp_path) == facts
