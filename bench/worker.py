"""One benchmark worker process: `python -m bench.worker '<json plan>'`.

Once Django is loaded it prints `ready` and waits for a line on stdin, so that several
workers start measuring together. Then, once per phase of the plan, it polls its share of
the practices back to back for `seconds` the way a qcluster worker does: each poll goes
to the product's tick pool (`integrations.tick_pool.TickPool` running
`integrations.tasks.practice_poll`: lock, schema, credentials, tick) with `threads`
threads, and the submitting loop waits whenever every thread is busy, as the poll task
does. It prints one JSON line with what each phase completed.
A practice is polled again only after its last tick ended, as a schedule whose interval
is longer than a tick does. Before a poll, with probability `change_probability`, staff
book a visit for the practice in the Nextech sandbox (through its control API, which has
no latency), so that share of ticks carries an event to decide and write.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import random
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any


def _staff_book(session: Any, *, nextech_url: str, guid: str, patients: list[str],
                rng: random.Random) -> None:
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86_400 * rng.randint(1, 20)))
    response = session.post(
        f"{nextech_url}/_sandbox/practices/{guid}/appointments", timeout=10,
        json={"patient_id": rng.choice(patients), "location_id": "2", "practitioner_id": "103",
              "type_id": "5", "purpose_ids": ["51"], "start": f"{day}T15:00:00+00:00",
              "status": "booked"})
    response.raise_for_status()


def phase_run(plan: dict[str, Any], phase: dict[str, Any]) -> dict[str, Any]:
    import requests

    from integrations.tasks import practice_poll
    from integrations.tick_pool import TickPool

    ready: queue.Queue[dict[str, Any]] = queue.Queue()  # practices whose last tick ended
    for practice in plan["practices"]:
        ready.put(practice)
    seconds = float(phase["seconds"])
    deadline = time.time() + seconds
    lock = threading.Lock()
    done: dict[str, Any] = {"ticks": 0, "changes": 0, "events": 0, "errors": 0,
                            "skipped": 0, "tick_seconds": []}
    rng = random.Random(len(plan["practices"]))  # noqa: S311 - benchmark load, not secrets
    session = requests.Session()
    pool = TickPool(threads=int(phase["threads"]), tick=practice_poll)

    def finished(practice: dict[str, Any], changed: bool, began: float,
                 future: Future[dict[str, Any]]) -> None:
        took = time.perf_counter() - began
        ready.put(practice)
        if time.time() > deadline:
            return  # finished after the window: not counted
        failed = future.exception() is not None
        result = {} if failed else future.result()
        with lock:
            done["ticks"] += 1
            done["changes"] += int(changed)
            done["events"] += int(result.get("events_processed", 0))
            done["errors"] += int(failed) + int(result.get("errors", 0))
            done["skipped"] += int("skipped" in result)
            done["tick_seconds"].append(took)

    cpu_before = time.process_time()
    while time.time() < deadline:
        try:
            practice = ready.get(timeout=max(0.0, deadline - time.time()))
        except queue.Empty:
            break
        changed = rng.random() < phase["change_probability"]
        if changed:
            _staff_book(session, nextech_url=plan["nextech_url"], guid=practice["guid"],
                        patients=practice["patients"], rng=rng)
        began = time.perf_counter()
        future = pool.submit(practice["schema"])  # waits while every thread is busy
        assert future is not None  # no wait limit given
        future.add_done_callback(functools.partial(finished, practice, changed, began))
    cpu_seconds = time.process_time() - cpu_before
    pool.shutdown()  # ticks still running finish, uncounted
    durations = sorted(done.pop("tick_seconds"))
    done["tick_p50_s"] = durations[len(durations) // 2] if durations else None
    done["tick_p95_s"] = durations[int(len(durations) * 0.95)] if durations else None
    done["ticks_per_s"] = done["ticks"] / seconds
    done["cpu_share"] = cpu_seconds / seconds
    return done


def main() -> None:
    import logging

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "axconnect.settings")
    plan = json.loads(sys.argv[1])
    from django.conf import settings

    # The parent's database (under pytest, the test database), on the server it started.
    settings.DATABASES["default"].update(plan["database"])
    django.setup()
    logging.disable(logging.WARNING)  # a tick logs per poll; the parent reads JSON lines
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps([phase_run(plan, phase) for phase in plan["phases"]]), flush=True)


if __name__ == "__main__":
    main()
