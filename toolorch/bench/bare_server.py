"""The baseline for `toolorch bench overhead`: a bare low-level mcp Server with the same echo
tool and nothing else (no validation, engine, metrics or logging)."""

from __future__ import annotations

from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

ECHO = types.Tool(name="echo", description="echo", input_schema={
    "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})


async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[ECHO])


async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
    out = {"text": (params.arguments or {})["text"]}
    return types.CallToolResult(content=[types.TextContent(type="text", text=out["text"])], structured_content=out)


async def main() -> None:
    server = Server("bare", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
