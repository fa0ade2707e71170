"""Load and validate the registry directory: `tools/*.json` (one tool each) and `models.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic

from toolorch.errors import RegistryError
from toolorch.registry.models import ModelSpec, ToolSpec


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(str(path), None, None, "file not found") from None
    except json.JSONDecodeError as exc:
        raise RegistryError(
            str(path), None, None, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc


def _first_error(exc: pydantic.ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    return ".".join(str(p) for p in err["loc"]) or "(entry)", err["msg"]


def load_tool(path: Path) -> ToolSpec:
    """One tool file → ToolSpec; any problem names the file, the tool and the field."""
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise RegistryError(str(path), None, None, "a tool file must hold one JSON object")
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    try:
        spec = ToolSpec.model_validate(raw)
    except pydantic.ValidationError as exc:
        field, msg = _first_error(exc)
        raise RegistryError(str(path), name, field, msg) from exc
    _check_schema(path, spec.name, "input_schema", spec.input_schema)
    _check_schema(path, spec.name, "output_schema", spec.output_schema)
    return spec


def _check_schema(path: Path, tool: str, field: str, schema: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator, SchemaError

    if schema.get("type") != "object":
        raise RegistryError(str(path), tool, field, 'must be a JSON Schema with "type": "object"')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise RegistryError(str(path), tool, f"{field}/{where}".rstrip("/"), exc.message) from exc


def load_models(path: Path) -> list[ModelSpec]:
    if not path.exists():
        return []
    raw = _read_json(path)
    entries = raw.get("models") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise RegistryError(str(path), None, "models", "expected {\"models\": [...]}")
    out = []
    for i, entry in enumerate(entries):
        try:
            out.append(ModelSpec.model_validate(entry))
        except pydantic.ValidationError as exc:
            field, msg = _first_error(exc)
            raise RegistryError(str(path), None, f"models[{i}].{field}", msg) from exc
    return out


def load_dir(directory: Path) -> tuple[list[tuple[Path, ToolSpec]], list[ModelSpec]]:
    tools_dir = directory / "tools"
    if not tools_dir.is_dir():
        raise RegistryError(str(tools_dir), None, None, "registry has no tools/ directory")
    files = sorted(tools_dir.glob("*.json"))
    if not files:
        raise RegistryError(str(tools_dir), None, None, "no tool files (*.json)")
    return [(f, load_tool(f)) for f in files], load_models(directory / "models.json")
