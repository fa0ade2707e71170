"""toolorch: nine code-intelligence tools behind one execution engine that learns (KTO) which tool
to call next. Heavy modules load lazily; `import toolorch` stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from toolorch.config import Settings
    from toolorch.engine.engine import Engine
    from toolorch.engine.orchestrator import Orchestrator
    from toolorch.engine.request import OrchestrateRequest, Strategy
    from toolorch.engine.results import ToolResult, WorkflowResult
    from toolorch.registry import Registry

_LAZY = {
    "Engine": "toolorch.engine.engine",
    "OrchestrateRequest": "toolorch.engine.request",
    "Orchestrator": "toolorch.engine.orchestrator",
    "Registry": "toolorch.registry",
    "Settings": "toolorch.config",
    "Strategy": "toolorch.engine.request",
    "ToolResult": "toolorch.engine.results",
    "WorkflowResult": "toolorch.engine.results",
}

__all__ = [
    "Engine",
    "OrchestrateRequest",
    "Orchestrator",
    "Registry",
    "Settings",
    "Strategy",
    "ToolResult",
    "WorkflowResult",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'toolorch' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
