"""The code graph: memgraph_create_graph_from_scip and memgraph_query_graph (tool.py).

schema.py (the fixed schema and shared Cypher), builder.py + calls.py (SCIP -> rows, CALLS
derivation), guard.py (read-only check), ladybug_store.py (embedded, default), bolt_store.py
(Memgraph), locking.py (cross-process lock), values.py (results -> JSON).
"""
