"""Every error toolorch raises, in one tree.

    ToolorchError                      base; `kind` is a stable machine-readable name
    ├── ConfigError                    bad settings or environment
    ├── RegistryError                  a malformed registry file (file, tool and field named)
    ├── UnknownToolError               a tool name not in the registry (a protocol error at MCP)
    ├── ValidationError                arguments do not match the tool's input schema; never retried
    │   └── OrchestrationError         an orchestrate request that cannot be run as given
    │       └── PlanningError          no plan makes the deliverable from the inputs (the dataflow)
    ├── PathError                      a path missing, or outside the allowed roots
    ├── ExecutionError                 raised by the engine around a call
    │   ├── ToolTimeoutError           one attempt ran past the tool's timeout
    │   └── CircuitOpenError           the backend's breaker is open: unavailable, not a failure
    └── BackendError                   a backend could not do the work; `retryable` says if another
        ├── NotAvailableError          the tool's backend is not implemented or not configured
        ├── SubprocessError            an external program failed (its stderr tail attached)
        └── QueryError                 a query (Angle, Cypher) is malformed or refused

Backends translate library errors at their edge with `raise BackendError(...) from exc`. Errors stay
these objects (`ToolResult.error`, `RunOutcome.error`) until the MCP/JSON edge, where `to_dict()`
flattens them. When every attempt of a call failed, the result carries the last attempt's error and
`ToolResult.attempts` the count (the message names the attempt): there is no separate "retries
exhausted" error, so an agent and the policy see what actually went wrong.
"""

from __future__ import annotations


class ToolorchError(Exception):
    """Base of the tree. `kind` names the error class for logs, metrics and experiences."""

    kind = "error"
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "retryable": self.retryable}


class ConfigError(ToolorchError):
    kind = "config"


class RegistryError(ToolorchError):
    """A registry file is malformed; the message names the file, the tool and the field."""

    kind = "registry"

    def __init__(self, file: str, tool: str | None, field: str | None, problem: str) -> None:
        where = file + (f", tool {tool!r}" if tool else "") + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {problem}")
        self.file, self.tool, self.field = file, tool, field


class UnknownToolError(ToolorchError):
    kind = "unknown_tool"

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown tool {name!r}; known tools: {', '.join(sorted(known))}")
        self.name = name


class ValidationError(ToolorchError):
    """Arguments failed the input schema. `field` is the JSON path of the offending value."""

    kind = "validation"

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def check_query_length(text: str, cap: int, field: str) -> None:
    """Query text is parsed before any timeout can apply, so its length is capped first."""
    if len(text) > cap:
        raise ValidationError(f"{field} is {len(text):,} characters, over the cap of {cap:,}; "
                              "send a shorter query or raise TOOLORCH_MAX_QUERY_CHARS", field=field)


class OrchestrationError(ValidationError):
    """An orchestrate request that cannot be run as given (feedback on an unknown workflow, inputs
    from which nothing can run). Reported to the agent like invalid arguments."""


class PlanningError(OrchestrationError):
    """The registry's dataflow has no plan that makes the deliverable from the inputs."""


class PathError(ToolorchError):
    kind = "path"


class ExecutionError(ToolorchError):
    kind = "execution"


class ToolTimeoutError(ExecutionError):
    kind = "timeout"
    retryable = True


class CircuitOpenError(ExecutionError):
    kind = "unavailable"

    def __init__(self, backend: str, retry_in_s: float) -> None:
        super().__init__(
            f"backend {backend!r} is temporarily unavailable after repeated failures "
            f"(circuit open); retry in {retry_in_s:.1f}s"
        )
        self.backend, self.retry_in_s = backend, retry_in_s


class BackendError(ToolorchError):
    kind = "backend"

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class NotAvailableError(BackendError):
    kind = "not_available"


class SubprocessError(BackendError):
    kind = "subprocess"

    def __init__(self, message: str, *, stderr_tail: str = "", retryable: bool = False) -> None:
        full = f"{message}\n--- stderr (tail) ---\n{stderr_tail}" if stderr_tail else message
        super().__init__(full, retryable=retryable)
        self.stderr_tail = stderr_tail


class QueryError(BackendError):
    kind = "query"
