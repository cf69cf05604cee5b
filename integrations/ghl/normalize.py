"""Identifiers as GoHighLevel stores them, so duplicate matching and our own
idempotency keys agree with the CRM: E.164 phones, lower-cased emails."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat


def email_normalize(raw: str | None) -> str | None:
    cleaned = (raw or "").strip().lower()
    return cleaned or None


def phone_normalize(raw: str | None, *, region: str = "US") -> str | None:
    """E.164, or None for an empty value; raises ValueError for a number that is not valid.

    `region` (the practice's country) is used only when the number has no +CC.
    """
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise ValueError("phone is not a number") from exc
    # format_number() does not validate; an invalid number would match nobody in the CRM.
    if not phonenumbers.is_valid_number(number):
        raise ValueError("phone is not a valid number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
