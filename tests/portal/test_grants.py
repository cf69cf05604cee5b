"""Agency staff open a practice only through a grant, and every patient they see is in
the practice's access log; within a practice, the owner role manages members and the bill."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from integrations.models import KnownPatient, OutboxOp, PatientAccessLog
from tenants.models import Membership
from tests.portal.conftest import PASSWORD, in_schema, member_make
from tests.portal.test_access import PAGES
from tests.support.staff import staff_login


def _staff(username: str) -> User:
    return User.objects.create_user(username, f"{username}@agency.example", PASSWORD,
                                    is_staff=True)


def _on(host: str, user: User) -> Client:
    """Signed in; agency staff past their second factor too."""
    client = Client(HTTP_HOST=host)
    if user.is_staff:
        staff_login(client, user)
    else:
        client.force_login(user)
    return client


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_agency_staff_without_a_grant_get_403_on_every_portal_page(practice_a, method, path):
    client = _on("alpha.localhost", _staff("sam"))
    assert getattr(client, method)(path).status_code == 403


def test_agency_staff_without_a_grant_cannot_sign_in_to_the_portal(practice_a):
    _staff("sam")
    response = Client(HTTP_HOST="alpha.localhost").post(
        "/login/", {"username": "sam", "password": PASSWORD})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_agency_staff_without_a_grant_are_kept_out_of_the_practice_admin(practice_a):
    client = _on("alpha.localhost", _staff("sam"))
    response = client.get("/admin/integrations/outboxop/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.fixture
def dana(practice_a):
    with in_schema(practice_a):
        KnownPatient.objects.create(nextech_id="p-1", given="Dana", family="Reyes")
        OutboxOp.objects.create(key="k1", patient_id="p-1", kind="contact_upsert", payload={},
                                state=OutboxOp.State.DEAD, last_error="ghl 422 (record): x")
    return "p-1"


def _logged(practice) -> list[tuple[str, str, str]]:
    with in_schema(practice):
        return list(PatientAccessLog.objects.order_by("id").values_list(
            "username", "patient_ref", "view"))


def test_staff_with_a_practice_grant_open_it_and_each_patient_seen_is_logged(
        practice_a, practice_b, dana):
    sam = _staff("sam")
    Membership.objects.create(user=sam, practice=practice_a, role=Membership.Role.STAFF)
    client = _on("alpha.localhost", sam)
    assert client.post("/activity/", {"patient": "Reyes"}).status_code == 200
    assert client.get("/activity/p-1/").status_code == 200
    assert client.get("/failures/").status_code == 200
    assert _logged(practice_a) == [("sam", "p-1", "search"), ("sam", "p-1", "activity"),
                                   ("sam", "p-1", "failures")]
    assert client.get("/admin/").status_code == 200  # the practice admin lets them in
    # The grant is for practice A only.
    assert _on("bravo.localhost", sam).get("/").status_code == 403


def test_the_agency_wide_grant_opens_every_practice_as_staff(practice_a, practice_b, dana):
    sam = _staff("sam")
    sam.user_permissions.add(Permission.objects.get(codename="open_every_practice"))
    sam = User.objects.get(pk=sam.pk)  # fresh permission cache
    for host in ("alpha.localhost", "bravo.localhost"):
        assert _on(host, sam).get("/").status_code == 200
    client = _on("alpha.localhost", sam)
    assert client.get("/activity/p-1/").status_code == 200
    assert _logged(practice_a) == [("sam", "p-1", "activity")]
    assert client.get("/bill/").status_code == 403  # staff, not owner


def test_the_agency_wide_permission_without_is_staff_opens_nothing(practice_a):
    user = User.objects.create_user("mallory", "m@example.com", PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="open_every_practice"))
    assert _on("alpha.localhost", User.objects.get(pk=user.pk)).get("/").status_code == 403


OWNER_PAGES = [("get", "/bill/"), ("get", "/members/"),
               ("post", "/members/add/"), ("post", "/members/1/")]


@pytest.mark.parametrize(("method", "path"), OWNER_PAGES)
def test_a_staff_member_cannot_see_the_bill_or_manage_members(practice_a, method, path):
    client = _on("alpha.localhost", member_make(practice_a, "alice"))
    assert getattr(client, method)(path, {"email": "eve@example.com", "role": "owner"}
                                   ).status_code == 403
    assert not User.objects.filter(username="eve@example.com").exists()


def test_a_staff_members_menu_has_no_bill_or_members(practice_a):
    html = _on("alpha.localhost", member_make(practice_a, "alice")).get("/").content.decode()
    assert "Categories" in html and "Failures" in html
    assert ">Bill<" not in html and ">Members<" not in html


def _owner(practice, username: str = "olivia") -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    Membership.objects.create(user=user, practice=practice, role=Membership.Role.OWNER)
    return user


def test_an_owner_sees_the_bill_and_adds_changes_and_removes_members(practice_a):
    client = _on("alpha.localhost", _owner(practice_a))
    html = client.get("/").content.decode()
    assert ">Bill<" in html and ">Members<" in html
    assert client.get("/bill/").status_code == 200

    response = client.post("/members/add/", {"email": "Eve@Example.com", "role": "staff"},
                           follow=True)
    assert "eve@example.com can now sign in here" in response.content.decode()
    eve = Membership.objects.get(practice=practice_a, user__email="eve@example.com")
    assert eve.role == "staff" and not eve.user.has_usable_password()

    client.post(f"/members/{eve.pk}/", {"role": "owner"})
    eve.refresh_from_db()
    assert eve.role == "owner"
    client.post(f"/members/{eve.pk}/", {"action": "remove"})
    assert not Membership.objects.filter(pk=eve.pk).exists()
    assert User.objects.filter(email="eve@example.com").exists()  # the account stays


def test_an_address_with_an_account_is_not_attached_by_an_owner(practice_a, practice_b):
    member_make(practice_b, "bob")  # bob@example.com, at B
    client = _on("alpha.localhost", _owner(practice_a))
    response = client.post("/members/add/", {"email": "bob@example.com", "role": "owner"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert not Membership.objects.filter(practice=practice_a, user__username="bob").exists()


def test_the_last_owner_can_neither_leave_nor_step_down(practice_a):
    olivia = _owner(practice_a)
    mine = Membership.objects.get(user=olivia)
    client = _on("alpha.localhost", olivia)
    response = client.post(f"/members/{mine.pk}/", {"role": "staff"}, follow=True)
    assert "at least one owner" in response.content.decode()
    client.post(f"/members/{mine.pk}/", {"action": "remove"})
    mine.refresh_from_db()
    assert mine.role == "owner"


def test_an_owner_cannot_touch_another_practices_membership(practice_a, practice_b):
    bob = member_make(practice_b, "bob")
    theirs = Membership.objects.get(user=bob)
    client = _on("alpha.localhost", _owner(practice_a))
    assert client.post(f"/members/{theirs.pk}/", {"action": "remove"}).status_code == 400
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_staff_viewing_patient_records_in_the_practice_admin_are_logged(practice_a, dana):
    sam = User.objects.create_superuser("sam", "sam@agency.example", PASSWORD)
    Membership.objects.create(user=sam, practice=practice_a)
    client = _on("alpha.localhost", sam)
    assert client.get("/admin/integrations/outboxop/").status_code == 200
    with in_schema(practice_a):
        op = OutboxOp.objects.get(key="k1")
    assert client.get(f"/admin/integrations/outboxop/{op.pk}/change/").status_code == 200
    assert _logged(practice_a) == [("sam", "p-1", "admin:outboxop")] * 2
