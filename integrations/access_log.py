"""The practice's patient access audit: who saw which patient, on which page, when.

Every page that shows patient data writes here before it renders, for practice members
and agency staff alike: the portal's pages and the practice admin's engine queues.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from integrations.models import PatientAccessLog

log = logging.getLogger(__name__)


def patient_access_record(*, user: Any, patient_refs: Iterable[str], view: str) -> int:
    """Write one audit row per patient a page showed `user`; returns how many."""
    refs = sorted({ref for ref in patient_refs if ref})
    PatientAccessLog.objects.bulk_create(
        PatientAccessLog(user_id=user.pk, username=user.get_username(), patient_ref=ref[:64],
                         view=view[:40]) for ref in refs)
    if refs:
        # Ids only: no names in the application log.
        log.info("patient data viewed: user %s, %s patient(s), %s", user.pk, len(refs), view)
    return len(refs)


class PatientAccessLoggedAdmin(admin.ModelAdmin):
    """A practice-admin page of patient records: the patients on each list page, and the
    one opened, go to the access log."""

    def access_ref(self, obj: Any) -> str:
        raise NotImplementedError

    def _record(self, request: HttpRequest, objects: Iterable[Any]) -> None:
        patient_access_record(user=request.user, patient_refs=map(self.access_ref, objects),
                              view=f"admin:{self.opts.model_name}")

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        self._record(request, changelist.result_list)
        return changelist

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None
                   ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            self._record(request, [obj])
        return obj
