"""One benchmark worker process: `python -m bench.worker '<json plan>'`.

Once Django is loaded it prints `ready` and waits for a line on stdin, so that several
workers start measuring together. Then it runs `integrations.tasks.practice_poll` (the
qcluster's task: lock, schema, credentials, tick) for its share of the practices on
`threads` threads, back to back for `seconds`, once per phase of the plan, and prints one
JSON line with what each phase completed.
A practice is handed to one thread at a time, as the broker hands one task to one worker.
Before a tick, with probability `change_probability`, staff book a visit for the practice
in the Nextech sandbox (through its control API, which has no latency), so that share of
ticks carries an event to decide and write.
"""

from __future__ import annotations

import json
import os
import queue
import random
import sys
import threading
import time
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
    from django.db import connection

    from integrations.tasks import practice_poll

    practices: queue.Queue[dict[str, Any]] = queue.Queue()
    for practice in plan["practices"]:
        practices.put(practice)
    seconds = float(phase["seconds"])
    deadline = time.time() + seconds
    lock = threading.Lock()
    done: dict[str, Any] = {"ticks": 0, "changes": 0, "events": 0, "errors": 0,
                            "skipped": 0, "tick_seconds": []}

    def run(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - benchmark load, not secrets
        session = requests.Session()
        try:
            while time.time() < deadline:
                practice = practices.get()
                try:
                    changed = rng.random() < phase["change_probability"]
                    if changed:
                        _staff_book(session, nextech_url=plan["nextech_url"],
                                    guid=practice["guid"], patients=practice["patients"], rng=rng)
                    began = time.perf_counter()
                    result = practice_poll(practice["schema"])
                    took = time.perf_counter() - began
                finally:
                    practices.put(practice)
                if time.time() > deadline:
                    break  # finished after the window: not counted
                with lock:
                    done["ticks"] += 1
                    done["changes"] += int(changed)
                    done["events"] += int(result.get("events_processed", 0))
                    done["errors"] += int(result.get("errors", 0))
                    done["skipped"] += int("skipped" in result)
                    done["tick_seconds"].append(took)
        finally:
            connection.close()

    cpu_before = time.process_time()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(int(phase["threads"]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    durations = sorted(done.pop("tick_seconds"))
    done["tick_p50_s"] = durations[len(durations) // 2] if durations else None
    done["tick_p95_s"] = durations[int(len(durations) * 0.95)] if durations else None
    done["ticks_per_s"] = done["ticks"] / seconds
    done["cpu_share"] = (time.process_time() - cpu_before) / seconds
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
