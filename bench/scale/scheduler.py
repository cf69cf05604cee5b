"""django-q2's scheduler with N due schedules: what one cycle costs, per broker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.scheduler import scheduler

# The measured schedules belong to a cluster of this name, which no real qcluster has, so
# a qcluster sharing the database never runs them.
CLUSTER = "bench-scale"


class _StatementCounter:
    """A database execute wrapper that counts statements (no debug cursor, no cap)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def noop() -> None:
    """The measured schedules' task: never run, only queued."""


@contextmanager
def _as_bench_cluster() -> Iterator[None]:
    saved = Conf.CLUSTER_NAME
    Conf.CLUSTER_NAME = CLUSTER
    try:
        yield
    finally:
        Conf.CLUSTER_NAME = saved


def _brokers() -> Iterator[tuple[str, Broker]]:
    orm = dict(settings.Q_CLUSTER)
    orm.pop("redis", None)
    Conf.ORM = "default"
    yield "orm", get_broker(list_key=CLUSTER)
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return  # no Redis here: the ORM figure only
    saved_redis, saved_orm = Conf.REDIS, Conf.ORM
    Conf.REDIS, Conf.ORM = redis_url, None
    try:
        yield "redis", get_broker(list_key=CLUSTER)
    finally:
        Conf.REDIS, Conf.ORM = saved_redis, saved_orm


def scheduler_cycle(count: int) -> dict[str, dict[str, float]]:
    """Per broker: seconds and statements of one scheduler cycle with `count` due poll
    schedules (a practice's schedule: one positional argument, every 5 minutes)."""
    results = {}
    with _as_bench_cluster():
        for name, broker in _brokers():
            due = timezone.now() - timedelta(seconds=1)
            Schedule.objects.bulk_create(
                Schedule(name=f"{CLUSTER}:{n}", func="bench.scale.scheduler.noop",
                         args=repr((f"p_bench_{n}",)), schedule_type=Schedule.MINUTES,
                         minutes=5, repeats=-1, next_run=due, cluster=CLUSTER)
                for n in range(count))
            try:
                started = time.perf_counter()
                counter = _StatementCounter()
                with connection.execute_wrapper(counter):
                    scheduler(broker=broker)
                seconds = time.perf_counter() - started
                queued = broker.queue_size()
            finally:
                Schedule.objects.filter(cluster=CLUSTER).delete()
                broker.purge_queue()
            results[name] = {"seconds": round(seconds, 2), "statements": counter.count,
                             "queued": queued}
    return results
