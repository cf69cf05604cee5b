"""Members: the practice's owners add people, change their role and remove them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal import members
from portal.access import owner_required
from tenants.models import Membership


class MemberAddForm(forms.Form):
    email = forms.EmailField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.STAFF)


def _page(request: HttpRequest, form: MemberAddForm, status: int = 200) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    context = {"members": members.members_list(practice=practice), "form": form,
               "roles": Membership.Role.choices}
    return render(request, "portal/members.html", context, status=status)


@owner_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    return _page(request, MemberAddForm())


@owner_required
@require_POST
def member_add(request: HttpRequest) -> HttpResponse:
    form = MemberAddForm(request.POST)
    added = None
    if form.is_valid():
        try:
            added = members.member_add(practice=request.tenant,  # type: ignore[attr-defined]
                               email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                               by=request.user)
        except ValidationError as error:
            form.add_error("email", error)
    if added is None:
        return _page(request, form, status=400)
    messages.success(request, f"{added.user.email} can now sign in here once they "
                     "set a password (\u201cForgot your password?\u201d on the login page).")
    return redirect("portal:members")


@owner_required
@require_POST
def member_change(request: HttpRequest, membership_id: int) -> HttpResponse:
    practice = request.tenant  # type: ignore[attr-defined]
    try:
        if request.POST.get("action") == "remove":
            members.member_remove(practice=practice, membership_id=membership_id,
                                  by=request.user)
            messages.success(request, "Removed.")
        else:
            members.member_role_set(practice=practice, membership_id=membership_id,
                                    role=request.POST.get("role", ""), by=request.user)
            messages.success(request, "Role changed.")
    except ObjectDoesNotExist:
        return HttpResponseBadRequest("No such member of this practice.")
    except ValueError:
        return HttpResponseBadRequest("Choose a role.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("portal:members")
