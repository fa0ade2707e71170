"""Lineage, in one home: OpenLineage run events for every tool run.

events.py builds the events (openlineage-python), observer.py is the engine's RunObserver (and its
writer thread), store.py keeps events, runs and datasets in SQLite, marquez.py sends to and reads
from Marquez, graph.py builds Marquez-shaped lineage graphs. The `marquez_get_lineage` tool that
reads them is a backend (toolorch.backends.lineage.tool). Nothing heavy is imported here.
"""
