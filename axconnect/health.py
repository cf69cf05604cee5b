"""/healthz and /readyz for load balancers and orchestrators.

- /healthz: the process answers, PostgreSQL answers, the task broker answers.
- /readyz: all that, plus every public-schema migration applied and a writable database
  (not a read-only replica or a server in recovery), i.e. this process can take work; it
  also says how many practice schemas are still being migrated, without failing.

Both answer 200 with a JSON body naming each check, or 503 naming the failing ones.
They are served by a middleware placed first, so they answer on any Host header (probes
use an IP), over plain HTTP, without a tenant lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 3.0
# Not worth a second timeout once the database is unreachable.
NEEDS_DATABASE = frozenset({"migrations", "practice_migrations", "writable"})


def database_check() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def broker_check() -> str:
    """The broker django-q2 is configured with answers, and how many tasks wait in it."""
    if settings.REDIS_URL:
        import redis

        # A short timeout of our own: a probe must answer even when Redis is blackholed.
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
    from axconnect.metrics import queue_depth  # loads models: only once apps are ready

    return f"ok ({queue_depth()} queued)"


def migrations_check() -> str:
    connection = connections["default"]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise RuntimeError(f"{len(plan)} migrations not applied: {names}")
    return "ok"


_practices_current = False  # once every practice is migrated, it stays so for this code


def practice_migrations_check() -> str:
    """Whether every practice schema has this code's migrations. Reported, never failing:
    practices are migrated after the public schema, while the new code already serves
    (migrations are written to work on a half-migrated agency), and turning every web
    process away meanwhile would be an outage."""
    global _practices_current
    if _practices_current:
        return "ok"
    from tenants.models import Practice  # loads models: only once apps are ready
    from tenants.schema_versions import schemas_behind

    schemas = list(Practice.objects.exclude(schema_name="public")
                   .values_list("schema_name", flat=True))
    behind = schemas_behind(schemas)
    if behind:
        return f"migrating: {len(behind)} of {len(schemas)} practice schemas behind"
    _practices_current = True
    return "ok"


def writable_check() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        (in_recovery,) = cursor.fetchone()
    if in_recovery:
        raise RuntimeError("the database is read-only (in recovery)")
    return "ok"


HEALTH_CHECKS: Mapping[str, Callable[[], str]] = {
    "database": database_check,
    "broker": broker_check,
}
READY_CHECKS: Mapping[str, Callable[[], str]] = {
    **HEALTH_CHECKS,
    "migrations": migrations_check,
    "practice_migrations": practice_migrations_check,
    "writable": writable_check,
}


def checks_run(checks: Mapping[str, Callable[[], str]]) -> tuple[int, dict[str, Any]]:
    """Run each check; (200 | 503, body). A failure never hides the other checks."""
    results: dict[str, str] = {}
    failing: list[str] = []
    for name, check in checks.items():
        if name in NEEDS_DATABASE and "database" in failing:
            results[name] = "skipped: database unreachable"
            continue
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            failing.append(name)
            # The exception's type and text: hosts and ports, never credentials, which
            # psycopg and redis leave out of their messages.
            results[name] = f"error: {type(exc).__name__}: {str(exc).strip()[:200]}"
            log.warning("health check %s failed: %s", name, type(exc).__name__)
            if name == "database":
                connections["default"].close()  # do not reuse a broken connection
    if failing:
        return 503, {"status": "unavailable", "failing": failing, "checks": results}
    return 200, {"status": "ok", "checks": results}


PATHS: Mapping[str, Mapping[str, Callable[[], str]]] = {
    "/healthz": HEALTH_CHECKS,
    "/readyz": READY_CHECKS,
}


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before anything else looks at the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        checks = PATHS.get(request.path.rstrip("/"))
        if checks is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        status, body = checks_run(checks)
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response
