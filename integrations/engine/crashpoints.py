"""Named points where a tick can be made to die, or to wait, for the fault tests.

Inert unless the environment says otherwise:
- AXC_CRASH_AT names a point (optionally `name:N`, the Nth time it is reached; a point
  with a detail also answers to `name.detail`, see `crashpoint`); then the
  process exits on the spot, like a worker killed by the OS: no exception handlers, no
  cleanup, no commit of what is in flight.
- AXC_PAUSE_DIR names a directory where a test arms a point by creating a file named
  after it (holding N, default 1: pause the Nth time it is reached from now). The process
  that reaches it renames the file to `<name>.paused` and waits, holding everything it
  holds, until the test deletes that file: meanwhile the test can restart the database.
  One process pauses per arming, whichever of a cluster's workers gets there.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

CRASH_EXIT_CODE = 86
PAUSE_LIMIT_SECONDS = 120  # a test that never releases does not leave a worker stuck
_reached: Counter[str] = Counter()


def crashpoint(name: str, detail: str = "") -> None:
    """`detail` narrows the point for AXC_CRASH_AT: `drain.op_sent.note_add` is reached
    only where `drain.op_sent` is reached with detail `note_add`."""
    pause_dir = os.environ.get("AXC_PAUSE_DIR")
    if pause_dir:
        _pause_if_armed(Path(pause_dir), name)
    target = os.environ.get("AXC_CRASH_AT")
    if not target:
        return
    point, _, nth = target.partition(":")
    if point not in (name, f"{name}.{detail}"):
        return
    _reached[point] += 1
    if _reached[point] >= int(nth or 1):
        os._exit(CRASH_EXIT_CODE)


def _pause_if_armed(directory: Path, name: str) -> None:
    armed, paused = directory / name, directory / f"{name}.paused"
    try:
        left = int(armed.read_text().strip() or 1)
    except FileNotFoundError:
        return
    if left > 1:
        armed.write_text(str(left - 1))
        return
    try:
        armed.rename(paused)  # atomic: only one process claims the pause
    except FileNotFoundError:
        return
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while paused.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
