"""A real PgBouncer (Debian's `pgbouncer`) on loopback in front of the test database.

Session mode, the mode the product supports (README, "Running behind PgBouncer"): a
client keeps its server connection until it disconnects, and `DISCARD ALL` wipes the
search_path and advisory locks before the next client gets it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from axconnect.env import database_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as() -> list[str]:
    """PgBouncer refuses to run as root: as root, run it as the database's own user, who
    can also reach the embedded server's socket directory."""
    if os.getuid() != 0:
        return []
    for user in ("embedded_postgres", "postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["-u", user]
    raise RuntimeError("no unprivileged user to run pgbouncer as")


@contextmanager
def running_pgbouncer(*, pool_size: int) -> Iterator[str]:
    """Yield a postgresql:// URL that reaches the test database through PgBouncer, with
    at most `pool_size` server connections."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise RuntimeError("pgbouncer is not installed: `make test` installs Debian's package")
    settings = connection.settings_dict
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="axc-pgbouncer-"))
    folder.chmod(0o755)  # readable by the unprivileged user it runs as
    users = folder / "users.txt"
    users.write_text(f'"{settings["USER"]}" ""\n')
    ini = folder / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {users}\n"
        f"pool_mode = session\ndefault_pool_size = {pool_size}\nmax_client_conn = 50\n"
        "server_reset_query = DISCARD ALL\n"
        # A client waiting for a server connection gives up after this long.
        "query_wait_timeout = 60\n"
    )
    for path in (users, ini):
        path.chmod(0o644)
    process = subprocess.Popen(  # noqa: S603 - the system's pgbouncer, our own config
        [binary, *_run_as(), str(ini)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise RuntimeError(f"pgbouncer did not start: {output}") from None
                time.sleep(0.1)
        direct = {**settings, "HOST": "127.0.0.1", "PORT": str(port)}
        yield database_url(direct)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
