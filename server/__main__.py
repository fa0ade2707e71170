"""`toolorch-server` / `python -m server`: start the MCP server (stdio unless --http)."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="toolorch-server", description="toolorch MCP server")
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    parser.add_argument("--host", help="HTTP bind address (default 127.0.0.1, TOOLORCH_HTTP_HOST)")
    parser.add_argument("--port", type=int, help="HTTP port (default 8765, TOOLORCH_HTTP_PORT)")
    parser.add_argument("--token", help="require this bearer token on HTTP (TOOLORCH_HTTP_TOKEN)")
    args = parser.parse_args(argv)

    from toolorch.config import load_settings
    from toolorch.errors import ToolorchError
    from toolorch.registry import Registry

    overrides = {k: v for k, v in {"http_host": args.host, "http_port": args.port, "http_token": args.token}.items() if v is not None}
    try:  # configuration errors stop here, with one line, before any transport starts
        settings = load_settings(**overrides)
        registry = Registry.for_settings(settings)
    except ToolorchError as exc:
        print(f"toolorch-server: {exc}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(
        stream=sys.stderr, level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from server.transports import run

    try:
        run(settings, http=args.http, registry=registry)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
