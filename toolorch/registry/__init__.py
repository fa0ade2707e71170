"""The tool registry: data in registry/*.json, models and loader here."""

from toolorch.registry.dataflow import Dataflow, render
from toolorch.registry.models import (
    Annotations,
    BackendSpec,
    CacheSpec,
    Consume,
    ModelSpec,
    Produce,
    ToolSpec,
)
from toolorch.registry.registry import Registry
from toolorch.registry.retry import RetryPolicy

__all__ = [
    "Annotations",
    "BackendSpec",
    "CacheSpec",
    "Consume",
    "Dataflow",
    "ModelSpec",
    "Produce",
    "Registry",
    "RetryPolicy",
    "ToolSpec",
    "render",
]
