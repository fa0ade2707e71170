"""toolorch: nine code-intelligence tools behind one execution engine that learns (KTO) which tool
to call next. The public surface is flat: every name below resolves lazily, so `import toolorch`
stays cheap (no torch, mcp or qdrant). The modules behind it are the floors of
README.md's "Architecture" section; this file is the only place that lists them all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from toolorch.backends.base import Backend
    from toolorch.backends.mock import MockBackend
    from toolorch.config import Settings, load_settings
    from toolorch.core.breaker import CircuitBreaker
    from toolorch.core.context import ToolContext
    from toolorch.core.datasets import Dataset
    from toolorch.core.runs import RunInfo, RunObserver, RunOutcome
    from toolorch.core.services import ServiceKey, Services
    from toolorch.core.state import State
    from toolorch.engine.engine import Engine
    from toolorch.engine.orchestrator import Orchestrator
    from toolorch.engine.request import OrchestrateRequest, Strategy
    from toolorch.engine.results import StepResult, ToolResult, WorkflowResult
    from toolorch.errors import (
        BackendError,
        CircuitOpenError,
        ConfigError,
        ExecutionError,
        NotAvailableError,
        OrchestrationError,
        PathError,
        PlanningError,
        QueryError,
        RegistryError,
        SubprocessError,
        ToolorchError,
        ToolTimeoutError,
        UnknownToolError,
        ValidationError,
    )
    from toolorch.registry import Registry
    from toolorch.registry.models import ToolSpec
    from toolorch.registry.retry import RetryPolicy
    from toolorch.stores.experience import Experience, ExperienceStore

_LAZY = {
    "Backend": "toolorch.backends.base",
    "BackendError": "toolorch.errors",
    "CircuitBreaker": "toolorch.core.breaker",
    "CircuitOpenError": "toolorch.errors",
    "ConfigError": "toolorch.errors",
    "Dataset": "toolorch.core.datasets",
    "Engine": "toolorch.engine.engine",
    "ExecutionError": "toolorch.errors",
    "Experience": "toolorch.stores.experience",
    "ExperienceStore": "toolorch.stores.experience",
    "MockBackend": "toolorch.backends.mock",
    "NotAvailableError": "toolorch.errors",
    "OrchestrateRequest": "toolorch.engine.request",
    "OrchestrationError": "toolorch.errors",
    "Orchestrator": "toolorch.engine.orchestrator",
    "PathError": "toolorch.errors",
    "PlanningError": "toolorch.errors",
    "QueryError": "toolorch.errors",
    "Registry": "toolorch.registry",
    "RegistryError": "toolorch.errors",
    "RetryPolicy": "toolorch.registry.retry",
    "RunInfo": "toolorch.core.runs",
    "RunObserver": "toolorch.core.runs",
    "RunOutcome": "toolorch.core.runs",
    "ServiceKey": "toolorch.core.services",
    "Services": "toolorch.core.services",
    "Settings": "toolorch.config",
    "State": "toolorch.core.state",
    "StepResult": "toolorch.engine.results",
    "Strategy": "toolorch.engine.request",
    "SubprocessError": "toolorch.errors",
    "ToolContext": "toolorch.core.context",
    "ToolResult": "toolorch.engine.results",
    "ToolSpec": "toolorch.registry.models",
    "ToolTimeoutError": "toolorch.errors",
    "ToolorchError": "toolorch.errors",
    "UnknownToolError": "toolorch.errors",
    "ValidationError": "toolorch.errors",
    "WorkflowResult": "toolorch.engine.results",
    "load_settings": "toolorch.config",
}

__all__ = [
    "Backend",
    "BackendError",
    "CircuitBreaker",
    "CircuitOpenError",
    "ConfigError",
    "Dataset",
    "Engine",
    "ExecutionError",
    "Experience",
    "ExperienceStore",
    "MockBackend",
    "NotAvailableError",
    "OrchestrateRequest",
    "OrchestrationError",
    "Orchestrator",
    "PathError",
    "PlanningError",
    "QueryError",
    "Registry",
    "RegistryError",
    "RetryPolicy",
    "RunInfo",
    "RunObserver",
    "RunOutcome",
    "ServiceKey",
    "Services",
    "Settings",
    "State",
    "StepResult",
    "Strategy",
    "SubprocessError",
    "ToolContext",
    "ToolResult",
    "ToolSpec",
    "ToolTimeoutError",
    "ToolorchError",
    "UnknownToolError",
    "ValidationError",
    "WorkflowResult",
    "__version__",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'toolorch' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
