"""Failed NXT-Create requests in the practice admin: the reason, and a retry."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from integrations.models import NxtCreateRequest
from tests.support.staff import staff_login

URL = "/admin/integrations/nxtcreaterequest/"


def test_failed_requests_are_listed_with_their_reason_and_can_be_retried(rig, in_practice):
    failed = rig.contact_add(dateOfBirth=None, phone="555-0100")
    rig.tag(failed)
    rig.process(in_practice, failed)
    created = rig.contact_add(email="sam@example.com", phone="+1 404 555 0188")
    rig.tag(created)
    rig.process(in_practice, created)
    user = User.objects.create_superuser("nxt.agency", "agency@example.com", "correct horse 42")
    staff = Client(HTTP_HOST="alpha.localhost")
    staff_login(staff, user)

    page = staff.get(f"{URL}?state__exact=failed").content.decode()

    assert "Phone 555-0100 is not a valid US number; Date of birth is missing" in page
    assert created not in page and failed in page
    request = NxtCreateRequest.objects.get(contact_id=failed)
    answer = staff.post(URL, {"action": "retry", "_selected_action": [request.pk]}, follow=True)
    assert "1 request(s) will be tried again at the next poll." in answer.content.decode()
    request.refresh_from_db()
    assert request.retry_requested and request.state == NxtCreateRequest.State.FAILED
