"""Make query results JSON-serializable, the same way for both engines.

    node          {"_id": "...", "_label": "Symbol", <properties>}
    relationship  {"_id": "...", "_type": "CALLS", "_src": "...", "_dst": "...", <properties>}
    path          {"nodes": [node...], "relationships": [relationship...]}
    date/time     ISO 8601 text; duration: seconds (float); bytes: hex; Decimal: float

LadybugDB returns nodes as dicts with `_ID`/`_LABEL` (and `_SRC`/`_DST` for relationships,
`_NODES`/`_RELS` for paths); the neo4j driver returns Node/Relationship/Path objects and its own
temporal types, converted here without importing the driver.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any


def _lb_id(value: Any) -> str:
    if isinstance(value, dict) and "table" in value and "offset" in value:
        return f"{value['table']}:{value['offset']}"
    return str(value)


def _ladybug_dict(value: dict[str, Any]) -> dict[str, Any] | None:
    """A Ladybug node/rel/path dict converted, or None when `value` is a plain map."""
    if "_NODES" in value and "_RELS" in value:
        return {"nodes": [to_json(n) for n in value["_NODES"]],
                "relationships": [to_json(r) for r in value["_RELS"]]}
    if "_LABEL" not in value or "_ID" not in value:
        return None
    props = {k: to_json(v) for k, v in value.items() if not k.startswith("_")}
    if "_SRC" in value:
        head = {"_id": _lb_id(value["_ID"]), "_type": value["_LABEL"],
                "_src": _lb_id(value["_SRC"]), "_dst": _lb_id(value["_DST"])}
    else:
        head = {"_id": _lb_id(value["_ID"]), "_label": value["_LABEL"]}
        # a node in a path of mixed labels carries every table's columns, unset ones None
        props = {k: v for k, v in props.items() if v is not None}
    return {**head, **props}


def _neo4j_graph(value: Any) -> dict[str, Any] | None:
    """neo4j.graph Node / Relationship / Path, recognised by shape (no driver import)."""
    cls = type(value).__name__
    module = type(value).__module__
    if not module.startswith("neo4j"):
        return None
    if cls == "Node":
        labels = sorted(value.labels)
        return {"_id": str(value.element_id), "_label": labels[0] if labels else "",
                **{k: to_json(v) for k, v in value.items()}}
    if cls == "Relationship":
        return {"_id": str(value.element_id), "_type": value.type,
                "_src": str(value.start_node.element_id), "_dst": str(value.end_node.element_id),
                **{k: to_json(v) for k, v in value.items()}}
    if cls == "Path":
        return {"nodes": [to_json(n) for n in value.nodes],
                "relationships": [to_json(r) for r in value.relationships]}
    if cls == "Duration":
        return (value.months * 30 * 86400 + value.days * 86400 + value.seconds  # type: ignore[no-any-return]
                + value.nanoseconds / 1e9)
    if hasattr(value, "iso_format"):                   # neo4j.time Date/Time/DateTime
        return value.iso_format()  # type: ignore[no-any-return]
    return None


def to_json(value: Any) -> Any:
    """`value` as JSON-compatible data (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        converted = _ladybug_dict(value)
        if converted is not None:
            return converted
        return {str(k): to_json(v) for k, v in value.items()}
    graph = _neo4j_graph(value)            # before tuple: neo4j's Duration is a tuple
    if graph is not None:
        return graph
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)
