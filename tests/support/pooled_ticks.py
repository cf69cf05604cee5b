"""Run practices' ticks on a tick pool in this process, as a worker would; print results.

`python -m tests.support.pooled_ticks SECONDS_APART SCHEMA...` with DATABASE_URL set (a
test points it at PgBouncer): submits each practice's tick in turn, SECONDS_APART apart,
and prints the ticks' results as JSON once all have finished.
"""

from __future__ import annotations

import json
import os
import sys
import time

import django


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "axconnect.settings")
    django.setup()
    from integrations.tasks import practice_poll
    from integrations.tick_pool import TickPool

    apart, schemas = float(argv[0]), argv[1:]
    pool = TickPool(threads=len(schemas), tick=practice_poll)
    futures = []
    for schema in schemas:
        futures.append(pool.submit(schema))
        time.sleep(apart)
    print(json.dumps([f.result(timeout=120) for f in futures if f is not None]))
    pool.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
