"""Fault injection shared by the sandboxes: 429 storms, 5xx, slow and malformed answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from werkzeug.wrappers import Response

FaultKind = Literal["429", "500", "503", "slow", "malformed", "timeout"]


@dataclass
class Fault:
    kind: FaultKind
    remaining: int  # how many matching requests it hits before it is spent
    path_prefix: str = ""  # empty: every path
    delay_seconds: float = 0.0  # for "slow" and "timeout"


@dataclass
class FaultPlan:
    """Faults queued through the control API, consumed by matching requests in order."""

    faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, path: str) -> Fault | None:
        """The next fault for this path, spending one of its hits."""
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None


def fault_response(fault: Fault, sleep: Callable[[float], None]) -> Response | None:
    """The response a fault produces, or None when it only delays the real answer."""
    if fault.kind in ("slow", "timeout"):
        sleep(fault.delay_seconds)
        return None
    if fault.kind == "malformed":
        return Response(
            '{"resourceType": "Bundle", "entry": [', status=200, mimetype="application/json"
        )
    status = int(fault.kind)
    return Response(
        f'{{"message": "injected {status}"}}', status=status, mimetype="application/json"
    )
