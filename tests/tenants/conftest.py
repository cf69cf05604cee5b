"""Fixtures shared by the agency-admin tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.support.staff import staff_login


@pytest.fixture
def agency(practices, db) -> Client:
    """A signed-in agency superuser on the agency host, second factor passed."""
    admin = User.objects.create_superuser("agency", "agency@example.com", "correct horse 42")
    client = Client(HTTP_HOST="localhost")
    staff_login(client, admin)
    return client
