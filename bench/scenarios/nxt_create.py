"""NXT-Create latency (a CRM contact tagged `NXT-Create` until its patient exists in
Nextech). The feature is not built yet, so there is nothing to time."""

from __future__ import annotations

from typing import Any


def nxt_create_latency_measure() -> dict[str, Any]:
    """Fill in once NXT-Create exists: tag contacts at random moments in the GoHighLevel
    sandbox, poll every 60 s with 100 ms per call on a `Timeline`, and time each tag to
    the patient's appearance in the Nextech sandbox (as `latency_measure` does the other
    way). Until then the figure is null and the report says "not built yet"."""
    return {"nxt_create_latency_p95_s": None}
