"""Portal fixtures: a signed-in member (staff) and owner of practice A, and its catalog."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_tenants.utils import schema_context

from integrations.categories import Category
from integrations.models import AppointmentPurpose, AppointmentType, CategoryMapping
from tenants.models import Membership, Practice

PASSWORD = "a long password 42"


def member_make(practice: Practice, username: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    Membership.objects.create(user=user, practice=practice, role=Membership.Role.STAFF)
    return user


@pytest.fixture
def member_a(practice_a: Practice) -> User:
    return member_make(practice_a, "alice")


@pytest.fixture
def portal_a(member_a: User) -> Client:
    """Alice, signed in on practice A's host."""
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(member_a)
    return client


@pytest.fixture
def owner_portal_a(practice_a: Practice) -> Client:
    """Olivia, an owner of practice A, signed in on its host."""
    user = User.objects.create_user("olivia", "olivia@example.com", PASSWORD)
    Membership.objects.create(user=user, practice=practice_a, role=Membership.Role.OWNER)
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(user)
    return client


@contextmanager
def in_schema(practice: Practice) -> Iterator[None]:
    with schema_context(practice.schema_name):
        yield


@pytest.fixture
def catalog_a(practice_a: Practice) -> dict[str, object]:
    """Three types: one confirmed, one only suggested, one nobody mapped; a purpose."""
    with in_schema(practice_a):
        consult = AppointmentType.objects.create(nextech_id="1", name="Surgical Consult")
        botox = AppointmentType.objects.create(nextech_id="5", name="Botox")
        mystery = AppointmentType.objects.create(nextech_id="9", name="Zeta Follow Up")
        revision = AppointmentPurpose.objects.create(nextech_id="11", name="Revision",
                                                     appointment_type=consult)
        confirmed = CategoryMapping.objects.create(
            appointment_type=consult, category=Category.SURGICAL_CONSULT.value,
            source=CategoryMapping.Source.CONFIRMED, confirmed_by="bob")
        suggested = CategoryMapping.objects.create(
            appointment_type=botox, category=Category.NON_SURGICAL_CONSULT.value)
    return {"consult": consult, "botox": botox, "mystery": mystery, "revision": revision,
            "confirmed": confirmed, "suggested": suggested}


@pytest.fixture(scope="session")
def signing_keys():
    from integrations.ghl.sandbox.signing import SigningKeys

    return SigningKeys.generate()  # RSA generation is slow: once per session


@pytest.fixture
def rig(in_practice, signing_keys):
    """Both sandboxes in-process, wired to practice A and set up as onboarding leaves it."""
    from integrations.clock import SimulatedClock
    from tests.support.rig import EngineRig

    rig = EngineRig(clock=SimulatedClock(), keys=signing_keys)
    rig.crm_setup()
    return rig


def tick(rig, practice: Practice) -> dict:
    from integrations.engine.tick import practice_tick

    return practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
