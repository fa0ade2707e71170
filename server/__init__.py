"""toolorch's MCP server: a thin adapter over toolorch.engine (stdio or streamable HTTP)."""
