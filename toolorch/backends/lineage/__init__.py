"""Lineage: OpenLineage run events for every tool run, and the marquez_get_lineage tool.

events.py builds the events (openlineage-python), observer.py is the engine's RunObserver,
graph.py builds Marquez-shaped lineage graphs, marquez.py talks to Marquez, tool.py is the tool.
The store lives in toolorch.stores.lineage. Nothing heavy is imported here.
"""
