"""A failed NXT-Create shows on the portal's failures page with what to fix, and retries."""

from __future__ import annotations

import re

from django.utils import timezone

from integrations.models import NxtCreateRequest
from tests.portal.conftest import in_schema


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_a_failed_nxt_create_is_listed_with_what_to_fix_and_retried(portal_a, practice_a):
    with in_schema(practice_a):
        request = NxtCreateRequest.objects.create(
            contact_id="c-9", state=NxtCreateRequest.State.FAILED, failed_at=timezone.now(),
            problems="Date of birth is missing\nPostal code is missing")
    text = _text(portal_a.get("/failures/"))
    assert "Creating the patient in Nextech (NXT-Create)" in text
    assert "Fix the contact in Aesthetix CRM, then retry: Date of birth is missing; " \
           "Postal code is missing" in text

    response = portal_a.post("/failures/retry/", {"source": "nxt_create", "pk": request.pk},
                             follow=True)
    assert "Retry queued: Creating the patient in Nextech (NXT-Create)." in _text(response)
    with in_schema(practice_a):
        request.refresh_from_db()
    assert request.retry_requested
