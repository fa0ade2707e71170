"""Argument validation against each tool's input schema, with validators compiled once."""

from __future__ import annotations

from typing import Any

from toolorch.errors import ValidationError


class ArgumentValidator:
    """Validates and completes (schema defaults) one tool's arguments."""

    def __init__(self, tool: str, schema: dict[str, Any], max_string: int) -> None:
        from jsonschema import Draft202012Validator

        self.tool = tool
        self.schema = schema
        self.max_string = max_string
        self._validator = Draft202012Validator(schema)
        props = schema.get("properties", {})
        self._defaults = {k: v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}

    def __call__(self, args: Any) -> dict[str, Any]:
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise ValidationError(f"{self.tool}: arguments must be a JSON object, got {type(args).__name__}")
        _check_sizes(self.tool, args, self.max_string, "")
        if self._validator.is_valid(args):  # the common case: no error objects built
            return {**self._defaults, **args}
        error = next(iter(sorted(self._validator.iter_errors(args), key=_depth)), None)
        if error is not None:
            field = "/".join(str(p) for p in error.absolute_path)
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else error.message
                field = missing
                msg = f"{self.tool}: missing required argument {missing!r}"
            elif error.validator == "additionalProperties":
                props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
                extra = sorted(k for k in (error.instance if isinstance(error.instance, dict) else {}) if k not in props)
                allowed = ", ".join(sorted(props))
                where = f"{field}/" if field else ""
                field = where + (extra[0] if extra else "")
                msg = (f"{self.tool}: unexpected argument {', '.join(repr(where + k) for k in extra)}; "
                       f"allowed arguments: {allowed}")
            else:
                msg = f"{self.tool}: argument {field or '(root)'!r}: {error.message}"
            hint = _hint(self.schema, error.absolute_path)
            raise ValidationError(msg + (f" ({hint})" if hint else ""), field)
        return {**self._defaults, **args}


def _depth(error: Any) -> tuple[int, str]:
    return (-len(error.absolute_path), str(error.message))


def _hint(schema: dict[str, Any], path: Any) -> str:
    node: Any = schema
    for part in path:
        node = node.get("properties", {}).get(part) if isinstance(node, dict) else None
        if node is None:
            return ""
    return str(node.get("description", "")) if isinstance(node, dict) else ""


def _check_sizes(tool: str, value: Any, limit: int, where: str) -> None:
    """Refuse huge strings before schema validation (which would copy them into messages)."""
    if isinstance(value, str):
        if len(value) > limit:
            raise ValidationError(
                f"{tool}: argument {where or '(root)'!r} is {len(value)} characters; the limit is "
                f"{limit} (TOOLORCH_MAX_ARG_CHARS)",
                where,
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_sizes(tool, v, limit, f"{where}/{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_sizes(tool, v, limit, f"{where}/{i}")
