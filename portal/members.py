"""What a practice's owners change about who uses its portal: add, change role, remove.

Every change is one transaction with its sync-log row, and a practice always keeps at
least one owner (nobody could manage its members otherwise).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from integrations.models import SyncLog
from tenants.models import Membership, Practice

log = logging.getLogger(__name__)


def members_list(*, practice: Practice) -> list[Membership]:
    return list(Membership.objects.filter(practice=practice).select_related("user")
                .order_by("role", "user__username"))


def _audit(*, by: Any, message: str) -> None:
    SyncLog.objects.create(kind="members", message=f"{message} by {by.get_username()}"[:500])


def member_add(*, practice: Practice, email: str, role: str, by: Any) -> Membership:
    """Create a portal account for `email` with `role` at this practice.

    The account has no password until its owner sets one through "Forgot your password?".
    An address that already has an account is refused: attaching someone else's account is
    the agency's decision, made in the agency admin.
    """
    email = email.strip().lower()
    role = Membership.Role(role).value
    users = get_user_model()
    if users.objects.filter(email__iexact=email).exists() or users.objects.filter(
            username__iexact=email).exists():
        raise ValidationError("An account with this email already exists; ask your agency "
                              "to add it to this practice.")
    with transaction.atomic():
        user = users.objects.create_user(username=email, email=email)  # unusable password
        membership = Membership.objects.create(user=user, practice=practice, role=role)
        _audit(by=by, message=f"Member {email} added as {role}")
    log.info("member %s added to practice %s", user.pk, practice.schema_name)
    return membership


def _locked_membership(*, practice: Practice, membership_id: int) -> Membership:
    # Lock every owner row of the practice too, so two owners demoting each other at once
    # cannot leave the practice with none.
    list(Membership.objects.select_for_update().filter(practice=practice,
                                                       role=Membership.Role.OWNER))
    return Membership.objects.select_for_update().select_related("user").get(
        practice=practice, pk=membership_id)


def _ensure_an_owner_remains(*, practice: Practice, losing: Membership) -> None:
    if losing.role != Membership.Role.OWNER:
        return
    others = Membership.objects.filter(practice=practice, role=Membership.Role.OWNER).exclude(
        pk=losing.pk)
    if not others.exists():
        raise ValidationError("The practice needs at least one owner.")


def member_role_set(*, practice: Practice, membership_id: int, role: str, by: Any) -> Membership:
    """Change a member's role; raises DoesNotExist for another practice's membership."""
    role = Membership.Role(role).value
    with transaction.atomic():
        membership = _locked_membership(practice=practice, membership_id=membership_id)
        if membership.role == role:
            return membership
        if role != Membership.Role.OWNER:
            _ensure_an_owner_remains(practice=practice, losing=membership)
        membership.role = role
        membership.save(update_fields=["role"])
        _audit(by=by, message=f"Member {membership.user.get_username()} is now {role}")
    return membership


def member_remove(*, practice: Practice, membership_id: int, by: Any) -> None:
    """Take a member's access to this practice away (their account stays)."""
    with transaction.atomic():
        membership = _locked_membership(practice=practice, membership_id=membership_id)
        _ensure_an_owner_remains(practice=practice, losing=membership)
        membership.delete()
        _audit(by=by, message=f"Member {membership.user.get_username()} removed")
