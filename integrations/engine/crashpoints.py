"""Named points where a tick can be made to die, for the crash-recovery tests.

Inert unless AXC_CRASH_AT names a point (optionally `name:N`, the Nth time it is
reached); then the process exits on the spot, like a worker killed by the OS: no
exception handlers, no cleanup, no commit of what is in flight.
"""

from __future__ import annotations

import os
from collections import Counter

CRASH_EXIT_CODE = 86
_reached: Counter[str] = Counter()


def crashpoint(name: str) -> None:
    target = os.environ.get("AXC_CRASH_AT")
    if not target:
        return
    point, _, nth = target.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(nth or 1):
        os._exit(CRASH_EXIT_CODE)
