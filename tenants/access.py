"""Grants: who may open a practice's portal and its admin, and in which role.

A user opens a practice through a grant: a membership of that practice (its role says what
they may do), or, for agency staff, the agency-wide `open_every_practice` permission, which
acts as the staff role. Being agency staff (`is_staff`) alone opens no practice.
"""

from __future__ import annotations

from typing import Any

from tenants.models import Membership, Practice

AGENCY_WIDE_PERMISSION = "tenants.open_every_practice"
OWNER = Membership.Role.OWNER.value
STAFF = Membership.Role.STAFF.value


def practice_role(*, user: Any, practice: Practice) -> str | None:
    """The role `user` acts in on `practice`, or None when they have no grant."""
    if not user.is_authenticated or not user.is_active or practice.is_public:
        return None
    role = (Membership.objects.filter(user=user, practice=practice)
            .values_list("role", flat=True).first())
    if role is not None:
        return role
    if user.is_staff and user.has_perm(AGENCY_WIDE_PERMISSION):
        return STAFF
    return None
