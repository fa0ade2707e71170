"""lean4_generate_specs: Lean 4 specifications generated from a SCIP index (see tool.py)."""
