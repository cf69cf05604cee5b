"""Revoked credentials: the practice needs attention and says why, nothing is lost, and
the first poll after staff fix the credentials delivers everything once."""

from __future__ import annotations

from integrations.models import OutboxOp
from tenants.ghl.connect import ghl_connection_read
from tenants.models import GhlCredential, NextechCredential, Practice
from tests.faults.world import dead_letters, notes_doubled, week_run
from tests.support.rig import GHL_BASE, NEXTECH_BASE, PRACTICE_GUID


def test_nextech_access_revoked_needs_attention_until_the_password_is_fixed(rig, baseline):
    def revoked() -> None:
        # The practice's IT changes the API user's password; Nextech drops its tokens.
        control = f"{NEXTECH_BASE}/_sandbox/practices/{PRACTICE_GUID}"
        assert rig.session.patch(f"{control}/settings", json={"password": "rotated-9"},
                                 timeout=5).ok
        assert rig.session.post(f"{control}/tokens/revoke", json={}, timeout=5).ok

    week_run(rig, revoked)
    failed = [rig.tick() for _ in range(2)]

    assert [s["error"] for s in failed] == [{"system": "nextech", "kind": "config"}] * 2
    status, reason = rig.status()
    assert status == Practice.Status.NEEDS_ATTENTION
    assert reason.startswith("Nextech credentials failed: Nextech sign-in was refused")
    assert all(s["ghl_calls"] == 0 for s in failed)  # nothing half-done in the CRM meanwhile

    # Staff enter the new password in the admin (the credential row), then the next poll.
    NextechCredential.objects.filter(practice=rig.practice).update(password="rotated-9")
    rig.settle()

    assert rig.status() == ("active", "")
    assert rig.crm_view() == baseline
    assert dead_letters() == {"outbox": [], "inbox": []}


def test_ghl_private_token_revoked_keeps_writes_pending_until_a_new_token(rig, baseline):
    def revoked() -> None:
        rig.ghl_app.state.tokens[rig.ghl_token].spent = True  # revoked in GoHighLevel

    week_run(rig, revoked)
    failed = [rig.ticks(1)[0] for _ in range(2)]

    assert [s["error"] for s in failed] == [{"system": "ghl", "kind": "config"}] * 2
    status, reason = rig.status()
    assert status == Practice.Status.NEEDS_ATTENTION
    assert "reconnect GoHighLevel" in reason
    # What the admin and the portal show about the connection.
    practice = Practice.objects.get(pk=rig.practice.pk)
    assert ghl_connection_read(practice=practice).state == "needs_reconnect"
    # The status changes were read and decided; their writes wait, untouched by failures.
    waiting = OutboxOp.objects.filter(state=OutboxOp.State.PENDING)
    assert waiting.exists()
    assert set(waiting.values_list("attempts", flat=True)) == {0}

    new_token = rig.ghl_app.state.token_issue(kind="pit", user_type="Location",
                                              location_id=rig.location.id, ttl_seconds=None)
    GhlCredential.objects.filter(practice=rig.practice).update(private_token=new_token)
    assert rig.session.get(f"{GHL_BASE}/_sandbox/locations", timeout=5).ok
    rig.settle()

    assert rig.status() == ("active", "")
    view = rig.crm_view()
    assert notes_doubled(view) == []
    assert view == baseline
    assert dead_letters() == {"outbox": [], "inbox": []}
