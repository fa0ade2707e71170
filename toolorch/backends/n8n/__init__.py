"""n8n_generate_components / n8n_generate_workflow: n8n artifacts from Lean 4 specs (tool.py)."""
