"""One tick per practice at a time, across every worker on every machine.

A PostgreSQL session-level advisory lock keyed on the schema name: the database is the
one thing all qcluster processes share, whichever broker they use.

The key is 64 bits of a BLAKE2b digest of the name, computed here: PostgreSQL's
`hashtext` gives 32, and two practices whose names collide there would skip each other's
ticks as "still running" for good.

The lock lasts as long as the session holding it. A worker host that dies without closing
its connection (power loss, a network partition) leaves that session open until the
server notices; with the operating system's defaults that takes over two hours. So the
lock's session asks the server to probe its client with TCP keepalives (the settings
below): a dead host's lock is released after about two minutes. Sessions over a Unix
socket have no TCP to probe and ignore them (the client is on the same machine).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

LOCK_NAMESPACE = "axconnect:tick:"
# First probe after 60 s of silence, then every 10 s; 6 unanswered probes end the session.
KEEPALIVES = {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 10,
              "tcp_keepalives_count": 6}

_TRY_LOCK_SQL = "SELECT {settings}, pg_try_advisory_lock(%s)".format(
    settings=", ".join(f"set_config('{name}', '{value}', false)"
                       for name, value in KEEPALIVES.items()))


def practice_lock_key(schema_name: str) -> int:
    """The practice's advisory lock key: a signed 64-bit integer (PostgreSQL's bigint)."""
    digest = hashlib.blake2b((LOCK_NAMESPACE + schema_name).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def practice_tick_lock(schema_name: str) -> Iterator[bool]:
    """Yield True holding the practice's lock, or False at once when another tick has it."""
    key = practice_lock_key(schema_name)
    with connection.cursor() as cursor:
        cursor.execute(_TRY_LOCK_SQL, [key])  # keepalives set and lock tried in one trip
        acquired = bool(cursor.fetchone()[-1])
    try:
        yield acquired
    finally:
        if acquired:
            _unlock(key)


def _unlock(key: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    except DatabaseError:
        # The connection is kept for the next tick: a lock it failed to release would
        # stay with it (and be re-entered by this thread). Ending the session ends it.
        connection.close()
        raise
