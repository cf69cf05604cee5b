"""Every portal page is for members of its own practice only, whatever URL is typed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.urls import portal_patterns
from tests.portal.conftest import member_make

# Sample values for the URL parameters of the portal's patterns.
SAMPLE_KWARGS = {"file_format": "xlsx", "patient_ref": "p-1", "membership_id": 1}
PUBLIC = {"login", "logout", "password_reset", "password_reset_sent", "password_reset_confirm",
          "password_reset_complete"}


def _portal_pages() -> list[tuple[str, str]]:
    """Every portal page but signing in and out, from the URL patterns themselves (so a new
    page is covered without editing this list), each by the method it answers."""
    pages = []
    for pattern in portal_patterns:
        if pattern.name in PUBLIC:
            continue
        kwargs = {key: SAMPLE_KWARGS[key] for key in pattern.pattern.converters}
        path = reverse(f"portal:{pattern.name}", kwargs=kwargs, urlconf="axconnect.urls_tenant")
        # Forms post; pages are read. A view refuses before it looks at the method.
        pages.append(("get", path))
        pages.append(("post", path))
    return pages


PAGES = _portal_pages()


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_a_member_of_a_gets_403_on_every_page_of_b(practice_a, practice_b, method, path):
    alice = member_make(practice_a, "alice")
    client = Client(HTTP_HOST="bravo.localhost")
    client.force_login(alice)
    response = getattr(client, method)(path)
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_an_anonymous_visitor_is_sent_to_log_in(practice_a, method, path):
    response = getattr(Client(HTTP_HOST="alpha.localhost"), method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_member_of_b_cannot_read_a_patient_of_a_through_b(practice_a, practice_b):
    """B's own member, on B's host, asking for A's patient id: B's schema has no such row."""
    from django_tenants.utils import schema_context

    from integrations.models import KnownPatient, PatientAccessLog

    with schema_context(practice_a.schema_name):
        KnownPatient.objects.create(nextech_id="p-a", given="Ann", family="Alpha")
    bob = member_make(practice_b, "bob")
    client = Client(HTTP_HOST="bravo.localhost")
    client.force_login(bob)
    assert client.get("/activity/p-a/").status_code == 404
    assert "Ann" not in client.post("/activity/", {"patient": "Alpha"}).content.decode()
    with schema_context(practice_a.schema_name):
        assert not PatientAccessLog.objects.exists()


def test_signing_in_without_next_lands_on_the_dashboard(practice_a):
    member_make(practice_a, "carol")
    client = Client(HTTP_HOST="alpha.localhost")
    response = client.post("/login/", {"username": "carol", "password": "a long password 42"})
    assert response.status_code == 302 and response["Location"] == "/"
