"""The contact's record of the workflow enrolments the engine made: one CRM text field
(`ENROLMENTS_FIELD`) holding a short reference per enrolment, newest last.

GoHighLevel can add a contact to a workflow but not say whether it is in one, so an
enrolment cut off by a crash could not otherwise be told from one never sent. After an
enrolment the engine writes its reference here; a retry reads the contact first and
skips an enrolment it finds. Pure: the outbox does the calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

# Enough for any retry: operations go out in order per patient, so the enrolment retried
# after a crash is the patient's latest; only a staff retry of an old dead letter reaches
# further back.
KEPT = 30


def enrolment_ref(op_key: str) -> str:
    """A short reference for the enrolment operation with this key (12 hex digits)."""
    return hashlib.sha256(op_key.encode()).hexdigest()[:12]


def enrolment_refs(value: object) -> list[str]:
    """The references a field value holds (empty for an unset field)."""
    return str(value or "").split()


def enrolments_value(refs: Iterable[str]) -> str:
    """The field value for these references, oldest first: the newest `KEPT`."""
    return " ".join(list(dict.fromkeys(refs))[-KEPT:])
