"""The registry: the nine tools load, lookups, capability search, malformed files named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from toolorch.config import PROJECT_ROOT
from toolorch.errors import RegistryError, UnknownToolError
from toolorch.registry import Registry

NINE = [
    "scip_index_code", "glean_query_code", "memgraph_create_graph_from_scip", "memgraph_query_graph",
    "qdrant_search_similar", "marquez_get_lineage", "lean4_generate_specs", "n8n_generate_components",
    "n8n_generate_workflow",
]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(PROJECT_ROOT / "registry")


def test_nine_tools_with_original_names_and_parameters(registry: Registry) -> None:
    assert sorted(registry.names) == sorted(NINE)
    assert registry.get("scip_index_code").input_schema["required"] == ["project_path", "language"]
    assert registry.get("glean_query_code").input_schema["properties"]["limit"]["default"] == 100
    assert registry.get("qdrant_search_similar").input_schema["properties"]["collection"]["default"] == "code_symbols"
    assert registry.get("lean4_generate_specs").input_schema["properties"]["generate_proofs"]["default"] is False
    assert registry.get("n8n_generate_components").input_schema["properties"]["component_type"]["enum"] == [
        "custom", "trigger", "action"]
    emb = registry.embedding_model()
    assert emb is not None and emb.name == "all-MiniLM-L6-v2"


def test_every_tool_is_complete(registry: Registry) -> None:
    for t in registry:
        assert t.output_schema["type"] == "object"
        assert t.produces, t.name
        assert t.capabilities, t.name
        assert t.timeout_s > 0 and t.retry.maximum_attempts >= 1
        assert t.backend.kind == "embedded" and t.backend.target


def test_lookup_and_capabilities(registry: Registry) -> None:
    assert registry.get("memgraph_query_graph").annotations.read_only_hint is True
    assert "memgraph_query_graph" in registry
    with pytest.raises(UnknownToolError, match="unknown tool 'nope'.*glean_query_code"):
        registry.get("nope")
    graph_tools = {t.name for t in registry.by_capability("graph")}
    assert graph_tools == {"memgraph_create_graph_from_scip", "memgraph_query_graph"}
    assert registry.by_capability("no-such-capability") == []


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "registry"
    shutil.copytree(PROJECT_ROOT / "registry", dst)
    return dst


def _edit(path: Path, fn) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (lambda d: d.pop("backend"), "backend", "Field required"),
        (lambda d: d.update(timeout_s=-1), "timeout_s", "greater than 0"),
        (lambda d: d.update(name="bad name!"), "name", "MCP tool-name rule"),
        (lambda d: d["backend"].update(target="no_colon"), "backend", "package.module:function"),
        (lambda d: d["input_schema"].update(type="array"), "input_schema", "type"),
        (lambda d: d["input_schema"]["properties"]["limit"].update(type="integr"), "input_schema/properties/limit/type", "not valid"),
        (lambda d: d["consumes"].append({"artifact": "x", "arg": "missing_arg"}), "(entry)", "missing_arg"),
        # a retry block the engine could not use fails here, not later in Engine.__init__
        (lambda d: d["retry"].update(initial_interval_s=2.0, maximum_interval_s=1.0), "retry.maximum_interval_s",
         "must be >= initial_interval_s (2), got 1"),
        (lambda d: d["retry"].update(backoff_coefficient=0.5), "retry.backoff_coefficient", "greater than or equal to 1"),
        (lambda d: d["retry"].update(maximum_attempts=-1), "retry.maximum_attempts", "greater than or equal to 0"),
        (lambda d: d["retry"].update(initial_interval=1.0), "retry.initial_interval", "Extra inputs are not permitted"),
    ],
)
def test_malformed_file_names_file_tool_and_field(tmp_path: Path, mutate, field: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    reg = _copy(tmp_path)
    target = reg / "tools" / "02_glean_query_code.json"
    _edit(target, mutate)
    with pytest.raises(RegistryError) as info:
        Registry.load(reg)
    msg = str(info.value)
    assert "02_glean_query_code.json" in msg
    assert field in msg
    assert problem in msg
    if field != "name":
        assert "glean_query_code" in msg


def test_invalid_json_points_at_line(tmp_path: Path) -> None:
    reg = _copy(tmp_path)
    (reg / "tools" / "05_qdrant_search_similar.json").write_text('{"name": "x",\n  oops}')
    with pytest.raises(RegistryError, match=r"05_qdrant_search_similar.json: invalid JSON at line 2"):
        Registry.load(reg)


def test_duplicate_names_rejected(tmp_path: Path) -> None:
    reg = _copy(tmp_path)
    shutil.copy(reg / "tools" / "01_scip_index_code.json", reg / "tools" / "99_copy.json")
    with pytest.raises(RegistryError, match="99_copy.json, tool 'scip_index_code', field 'name': also defined"):
        Registry.load(reg)


def test_backend_overrides_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolorch.config import Settings
    from toolorch.errors import ConfigError

    monkeypatch.setenv("TOOLORCH_BACKENDS", '{"glean_query_code": {"kind": "http", "url": "http://127.0.0.1:9", "path": "/q"}}')
    reg = Registry.for_settings(Settings())
    glean = reg.get("glean_query_code").backend
    assert (glean.kind, glean.url, glean.path) == ("http", "http://127.0.0.1:9", "/q")
    assert reg.get("scip_index_code").backend.kind == "embedded"
    with pytest.raises(ConfigError, match=r"'glean_query_cod', not a registered tool; registered: .*glean_query_code"):
        Registry.load(Settings().registry_dir, {"glean_query_cod": {"kind": "http", "url": "http://x"}})
    with pytest.raises(ConfigError, match=r"TOOLORCH_BACKENDS\['glean_query_code'\].*http backend needs url"):
        Registry.load(Settings().registry_dir, {"glean_query_code": {"kind": "http"}})
