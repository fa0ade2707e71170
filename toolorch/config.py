"""Settings, read once from `TOOLORCH_*` environment variables and an optional config file.

Precedence, highest first: arguments given in code (`Settings(home=...)`, the server's flags),
`TOOLORCH_*` environment variables, the file named by `TOOLORCH_CONFIG` (TOML, or JSON when it ends
in `.json`; keys are the field names below, e.g. `redis_url = "redis://cache:6379/0"`; relative
paths are resolved against the file's directory), then the defaults. An unknown key, a missing or
malformed file is a ConfigError that names it. Every production backend is enabled by giving its
URL; nothing else changes. See the README's "Configuration" table, which lists each field below.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from toolorch.errors import ConfigError

#: The checkout (or install) root: registry/ and node_modules/ live here in an editable install.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


#: The environment variable that names the config file.
CONFIG_ENV = "TOOLORCH_CONFIG"
_PATH_FIELDS = ("home", "registry_dir", "node_bin")


def read_config_file(path: Path, known: set[str]) -> dict[str, Any]:
    """The file's settings (TOML, or JSON for `.json`), relative paths made absolute against the
    file's directory; ConfigError for a missing or malformed file or an unknown key."""
    import json
    import tomllib

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{CONFIG_ENV}={path}: cannot read the config file ({exc.strerror})") from None
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{CONFIG_ENV}={path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_ENV}={path}: expected a table of settings at the top level")
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{CONFIG_ENV}={path}: unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
    for name in _PATH_FIELDS:
        if isinstance(data.get(name), str) and not Path(data[name]).expanduser().is_absolute():
            data[name] = str(path.parent / data[name])
    return data


class _ConfigFileSource(PydanticBaseSettingsSource):
    """pydantic-settings source for the file named by TOOLORCH_CONFIG (nothing when unset)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        name = os.environ.get(CONFIG_ENV, "").strip()
        self.path = Path(name).expanduser().resolve() if name else None
        self.data = read_config_file(self.path, set(settings_cls.model_fields)) if self.path else {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "toolorch"


class Settings(BaseSettings):
    """toolorch configuration. Environment variables are the field names upper-cased with the
    `TOOLORCH_` prefix (e.g. `TOOLORCH_REDIS_URL`)."""

    model_config = SettingsConfigDict(env_prefix="TOOLORCH_", extra="ignore", frozen=True)

    home: Path = Field(default_factory=default_home, description="Data dir: stores, indexes, checkpoints.")
    registry_dir: Path = Field(PROJECT_ROOT / "registry", description="Directory of the tool registry JSON.")
    allowed_roots: str = Field(
        "",
        description="Directories tools may read and write, separated by ':' (os.pathsep). "
        "Default: the current directory, unless that is '/'. The data dir is always allowed.",
    )
    node_bin: Path = Field(PROJECT_ROOT / "node_modules" / ".bin", description="Pinned npm tools.")
    backends: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-tool backend overrides, JSON {tool: backend}: replaces the registry file's "
        "`backend`, e.g. {\"glean_query_code\": {\"kind\": \"http\", \"url\": \"http://glean:8080\", "
        "\"path\": \"/query\"}} or {\"kind\": \"mcp\", \"server\": {\"command\": ..., \"args\": [...]}}.",
    )

    redis_url: str | None = Field(None, description="Redis/Dragonfly: shared cache, experience stream and policy checkpoints.")
    qdrant_url: str | None = Field(None, description="Qdrant server for qdrant_search_similar.")
    memgraph_url: str | None = Field(None, description="Memgraph Bolt URL, e.g. bolt://127.0.0.1:7687.")
    memgraph_user: str = Field("", description="Memgraph user name.")
    memgraph_password: str = Field("", description="Memgraph password.")
    marquez_url: str | None = Field(None, description="Marquez API base URL (lineage sent and read there).")
    lineage_retention_days: float = Field(
        30.0, ge=0, description="Raw OpenLineage events older than this are deleted when the lineage "
        "writer starts (runs, inputs/outputs and datasets are kept, so lineage graphs do not change; "
        "events still to be sent to Marquez are kept). 0 = keep every event.",
    )

    cypher_allow_writes: bool = Field(False, description="Allow CREATE/MERGE/SET/DELETE in memgraph_query_graph.")
    cypher_timeout_s: float = Field(25.0, gt=0, description="Longest a memgraph_query_graph query may run (below the tool timeout, so the agent gets the query error, not a retried timeout).")
    max_rows: int = Field(1000, ge=1, description="Row / result cap on every tool.")
    max_output_chars: int = Field(200_000, ge=1000, description="Cap on a tool's text output.")
    max_concurrency: int = Field(4, ge=1, description="Concurrent tool calls per engine.")
    max_arg_chars: int = Field(100_000, ge=100, description="Longest accepted string argument.")
    max_query_chars: int = Field(20_000, ge=100, description="Longest Cypher or Angle query text, checked before it is parsed.")
    max_index_bytes: int = Field(1 << 30, ge=1024, description="Largest SCIP index file read (scip_index_code, memgraph_create_graph_from_scip, lean4_generate_specs).")
    indexer_timeout_s: float = Field(840.0, gt=0, description="Budget of scip_index_code's indexer runs, retries after a crash included (below the registry's 900 s).")
    max_manifest_bytes: int = Field(1 << 20, ge=1024, description="Largest manifest read whole (pyproject.toml, setup.cfg, package.json, Cargo.toml, tsconfig.json).")

    cache_enabled: bool = Field(True, description="Cache results of cacheable tools.")
    cache_max_entries: int = Field(4096, ge=1, description="In-process cache size.")
    breaker_failures: int = Field(5, ge=1, description="Consecutive failures that open a breaker.")
    breaker_reset_s: float = Field(30.0, gt=0, description="Seconds an open breaker waits before a trial.")

    http_host: str = Field("127.0.0.1", description="Streamable-HTTP bind address.")
    http_port: int = Field(8765, ge=0, le=65535, description="Streamable-HTTP port.")
    http_token: str | None = Field(None, description="Bearer token required on HTTP when set.")

    policy_enabled: bool = Field(True, description="Use the KTO policy for rl_optimized.")
    policy_warm_start: bool = Field(
        True, description="A data dir without a policy checkpoint starts from the one shipped with the package.")
    train_every: int = Field(16, ge=1, description="Train after this many new experiences.")
    train_steps: int = Field(8, ge=1, description="Gradient steps per training round.")
    log_level: str = Field("INFO", description="stderr log level.")
    intent_model: Literal["minilm", "lexical"] = Field(
        "minilm", description="How orchestrate reads a goal without a deliverable: MiniLM + lexical, or lexical alone (no model).")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Code arguments, then the environment, then the TOOLORCH_CONFIG file."""
        return init_settings, env_settings, _ConfigFileSource(settings_cls)

    @field_validator("home", "registry_dir", "node_bin", mode="after")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @property
    def roots(self) -> list[Path]:
        """Allowed roots, resolved; the data dir is always one of them."""
        raw = [p for p in self.allowed_roots.split(os.pathsep) if p.strip()]
        roots = [Path(p).expanduser().resolve() for p in raw]
        if not roots:
            cwd = Path.cwd().resolve()
            # a server started from "/" (as desktop clients do) must not open the whole disk:
            # then only the data dir and the client's MCP roots are allowed
            roots = [] if cwd == Path(cwd.anchor) else [cwd]
        return [*roots, self.home]

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    def public(self) -> dict[str, Any]:
        """Settings safe to show: passwords, tokens, credentials in URLs, backend headers and
        downstream server environments masked."""
        data = self.model_dump(mode="json")
        for secret in ("memgraph_password", "http_token"):
            if data.get(secret):
                data[secret] = "***"
        for key, value in data.items():
            if key.endswith("_url") and isinstance(value, str):
                data[key] = mask_url(value)
        for backend in data["backends"].values():
            if isinstance(backend.get("url"), str):
                backend["url"] = mask_url(backend["url"])
            for holder in (backend.get("headers"), (backend.get("server") or {}).get("env")):
                if isinstance(holder, dict):
                    holder.update(dict.fromkeys(holder, "***"))
        return data


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and the config file (+ overrides); a bad value raises
    ConfigError naming the variable (and the file, when one is in use), instead of pydantic's
    traceback."""
    from pydantic import ValidationError
    from pydantic_settings.exceptions import SettingsError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [f"TOOLORCH_{'_'.join(str(x) for x in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        where = f" (environment or {CONFIG_ENV}={os.environ[CONFIG_ENV]})" if os.environ.get(CONFIG_ENV) else ""
        raise ConfigError("invalid setting" + where + ": " + "; ".join(lines)) from None
    except SettingsError as exc:
        field = str(exc).partition('field "')[2].partition('"')[0]
        raise ConfigError(f"invalid setting: TOOLORCH_{field.upper()} is not valid JSON ({exc.__cause__ or exc})") from None


def mask_url(url: str) -> str:
    """The URL without its credentials, for messages and logs: `scheme://user:pw@host` → `scheme://***@host`."""
    return re.sub(r"//[^@/]*@", "//***@", url)
