"""marquez_get_lineage (tool.py): the lineage graph of a dataset, read from toolorch.lineage."""
