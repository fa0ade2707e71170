"""The in-memory registry: O(1) lookup by name, search by capability, the dataflow DAG."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from toolorch.errors import ConfigError, RegistryError, UnknownToolError
from toolorch.registry.loader import load_dir
from toolorch.registry.models import BackendSpec, ModelSpec, ToolSpec

if TYPE_CHECKING:
    from toolorch.config import Settings
    from toolorch.registry.dataflow import Dataflow


def with_backends(tools: list[ToolSpec], backends: Mapping[str, Mapping[str, Any]]) -> list[ToolSpec]:
    """The tools with the backend of each tool named in `backends` replaced (validated like a
    registry file's `backend`)."""
    names = {t.name for t in tools}
    unknown = sorted(set(backends) - names)
    if unknown:
        raise ConfigError(f"TOOLORCH_BACKENDS names {', '.join(map(repr, unknown))}, not a registered tool; "
                          f"registered: {', '.join(sorted(names))}")
    out = []
    for t in tools:
        if t.name in backends:
            try:
                backend = BackendSpec.model_validate(backends[t.name])
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(x) for x in first["loc"]) or "backend"
                raise ConfigError(f"TOOLORCH_BACKENDS[{t.name!r}].{where}: {first['msg']} "
                                  f"(expected e.g. {{\"kind\": \"http\", \"url\": \"http://host:port\", "
                                  f"\"path\": \"/{t.name}\"}})") from None
            t = t.model_copy(update={"backend": backend})
        out.append(t)
    return out


class Registry:
    """Tools in file order (the order is stable: it breaks ties in planning)."""

    def __init__(self, tools: list[ToolSpec], models: list[ModelSpec] | None = None) -> None:
        self._tools: dict[str, ToolSpec] = {}
        for t in tools:
            if t.name in self._tools:
                raise RegistryError("(registry)", t.name, "name", "duplicate tool name")
            self._tools[t.name] = t
        self.models = list(models or [])
        self._by_capability: dict[str, list[str]] = {}
        for t in tools:
            for cap in t.capabilities:
                self._by_capability.setdefault(cap, []).append(t.name)

    @classmethod
    def load(cls, directory: Path, backends: Mapping[str, Mapping[str, Any]] | None = None) -> Registry:
        """The registry in `directory`; `backends` (TOOLORCH_BACKENDS) replaces tools' `backend`."""
        entries, models = load_dir(directory)
        seen: dict[str, Path] = {}
        for path, spec in entries:
            if spec.name in seen:
                raise RegistryError(str(path), spec.name, "name", f"also defined in {seen[spec.name]}")
            seen[spec.name] = path
        tools = [spec for _, spec in entries]
        if backends:
            tools = with_backends(tools, backends)
        return cls(tools, models)

    @classmethod
    def for_settings(cls, settings: Settings) -> Registry:
        """`settings.registry_dir` with the `settings.backends` overrides applied."""
        return cls.load(settings.registry_dir, settings.backends)

    def get(self, name: str) -> ToolSpec:
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownToolError(name, list(self._tools)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def by_capability(self, capability: str) -> list[ToolSpec]:
        return [self._tools[n] for n in self._by_capability.get(capability, [])]

    @property
    def capabilities(self) -> list[str]:
        return sorted(self._by_capability)

    def embedding_model(self) -> ModelSpec | None:
        return next((m for m in self.models if m.role == "embedding"), None)

    @cached_property
    def dataflow(self) -> Dataflow:
        from toolorch.registry.dataflow import Dataflow

        return Dataflow(list(self._tools.values()))
