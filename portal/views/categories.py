"""Category review: see, change and confirm each type's and purpose's category; the
category spreadsheet out and back in (previewed, all-or-nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from integrations.categories import CATEGORY_LABELS, Category
from integrations.engine.stages import SURGICAL_CATEGORIES
from integrations.models import AppointmentType
from integrations.onboarding import category_spreadsheet_export, category_spreadsheet_import
from integrations.onboarding.workbook import MAX_UPLOAD_BYTES, UPLOAD_LIMIT_TEXT
from integrations.selectors.categories import category_review_read
from portal import services
from portal.access import membership_required
from tenants.models import Practice

IMPORT_SESSION_KEY = "portal_category_import"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
# A med spa has no surgical pipeline: its page offers the surgical categories apart, saying
# what choosing one does.
MEDSPA_SURGICAL_GROUP = ("Surgical (no surgical pipeline here: moves nothing, flagged for "
                         "review)")


def _surgical(request: HttpRequest) -> bool:
    return request.tenant.practice_type != Practice.Kind.MEDSPA  # type: ignore[attr-defined]


def _category_choices(*, surgical: bool) -> list[tuple[str, list[tuple[str, str]]]]:
    """The dropdown's option groups (an empty label: no group)."""
    every = [(category.value, label) for category, label in CATEGORY_LABELS.items()]
    if surgical:
        return [("", every)]
    return [("", [c for c in every if Category(c[0]) not in SURGICAL_CATEGORIES]),
            (MEDSPA_SURGICAL_GROUP, [c for c in every if Category(c[0]) in SURGICAL_CATEGORIES])]


def _optional_int(value: str | None) -> int | None:
    return int(value) if value else None


@membership_required
@require_GET
def category_review(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("changed", "")
    changed = int(raw) if raw.isdigit() else None
    surgical = _surgical(request)
    context = {
        "review": category_review_read(surgical=surgical),
        "surgical": surgical,
        "choice_groups": _category_choices(surgical=surgical),
        "changed_type": AppointmentType.objects.filter(pk=changed).first() if changed else None,
        "reevaluate_days": services.REEVALUATE_DAYS_DEFAULT,
    }
    return render(request, "portal/categories.html", context)


@membership_required
@require_POST
def category_set(request: HttpRequest) -> HttpResponse:
    try:
        type_id = int(request.POST["appointment_type"])
        purpose_id = _optional_int(request.POST.get("purpose"))
        category = request.POST.get("category", "")
        released = 0
        if purpose_id is not None and not category:
            changed = services.category_mapping_follow_type(
                appointment_type_id=type_id, purpose_id=purpose_id, user=request.user)
        else:
            outcome = services.category_mapping_set(
                appointment_type_id=type_id, purpose_id=purpose_id, category=category,
                user=request.user)
            changed, released = outcome.changed, outcome.released
    except (KeyError, ValueError, ObjectDoesNotExist):
        return HttpResponseBadRequest("Choose a category for an appointment type of this practice.")
    messages.success(request, "Saved and confirmed." + (
        f" {released} appointment{'s' if released != 1 else ''} that waited for this review "
        "will move at the next sync." if released else ""))
    url = reverse("portal:categories")
    if changed:
        url += f"?changed={type_id}"  # offer to re-evaluate recent contacts of this type
    return redirect(f"{url}#type-{type_id}")


@membership_required
@require_POST
def category_confirm_all(request: HttpRequest) -> HttpResponse:
    """Confirm, as they stand, the suggestions the page showed (their ids were posted)."""
    try:
        ids = [int(value) for value in request.POST.getlist("mapping")]
    except ValueError:
        return HttpResponseBadRequest("Unknown category mapping.")
    count = services.category_suggestions_confirm(mapping_ids=ids, user=request.user)
    messages.success(request, f"{count} suggestion{'s' if count != 1 else ''} confirmed as "
                     "shown; appointments that waited for them move at the next sync.")
    return redirect("portal:categories")


@membership_required
@require_POST
def category_reevaluate(request: HttpRequest) -> HttpResponse:
    try:
        type_id = int(request.POST["appointment_type"])
        days = max(1, min(int(request.POST.get("days", services.REEVALUATE_DAYS_DEFAULT)), 365))
        count = services.recent_contacts_reevaluate(appointment_type_id=type_id, days=days,
                                                    user=request.user)
    except (KeyError, ValueError, ObjectDoesNotExist):
        return HttpResponseBadRequest("Unknown appointment type.")
    messages.success(request, f"{count} appointment{'s' if count != 1 else ''} of the last "
                     f"{days} days will be decided again at the next sync.")
    return redirect("portal:categories")


@membership_required
@require_GET
def category_export(request: HttpRequest, file_format: str) -> HttpResponse:
    if file_format not in CONTENT_TYPES:
        return HttpResponseBadRequest("Unsupported format.")
    data = category_spreadsheet_export(format=file_format)  # type: ignore[arg-type]
    response = HttpResponse(data, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="categories.{file_format}"'
    return response


def _member(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in user (membership_required has already refused anyone else)."""
    assert isinstance(request.user, AbstractBaseUser)
    return request.user


def _upload_format(name: str) -> str | None:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix if suffix in CONTENT_TYPES else None


@membership_required
@require_POST
def category_import(request: HttpRequest) -> HttpResponse:
    """Preview an uploaded sheet: nothing is written; a clean sheet can then be confirmed."""
    upload = request.FILES.get("spreadsheet")
    name = (upload.name or "") if upload else ""
    file_format = _upload_format(name)
    if upload is None or file_format is None or (upload.size or 0) > MAX_UPLOAD_BYTES:
        messages.error(request, UPLOAD_LIMIT_TEXT)
        return redirect("portal:categories")
    data = upload.read()
    result = category_spreadsheet_import(file_bytes=data, format=file_format,  # type: ignore[arg-type]
                                         user=_member(request), dry_run=True)
    request.session.pop(IMPORT_SESSION_KEY, None)
    if result.ok and (result.new or result.updated):
        # The file itself waits in the database, so that what is imported is exactly what
        # was previewed; the session holds only its token.
        request.session[IMPORT_SESSION_KEY] = services.category_upload_keep(
            user=request.user, file_name=name, file_format=file_format, data=data)
    return render(request, "portal/categories_import.html",
                  {"result": result, "file_name": name})


@membership_required
@require_POST
def category_import_confirm(request: HttpRequest) -> HttpResponse:
    token = request.session.pop(IMPORT_SESSION_KEY, None)
    kept = services.category_upload_take(user=request.user, token=token) if isinstance(
        token, str) else None
    if kept is None:
        messages.error(request, "Upload the spreadsheet again: the preview has expired.")
        return redirect("portal:categories")
    result = category_spreadsheet_import(
        file_bytes=bytes(kept.data), format=kept.file_format,  # type: ignore[arg-type]
        user=_member(request), dry_run=False)
    if not result.imported:
        return render(request, "portal/categories_import.html",
                      {"result": result, "file_name": kept.file_name, "stale": True})
    messages.success(request, f"Imported {result.new + result.updated} rows from "
                     f"{kept.file_name}; they are confirmed by you.")
    return redirect("portal:categories")
