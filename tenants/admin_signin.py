"""Sign-in records in the agency admin: lockouts to lift, second-factor devices to reset.

A device can only be deleted here (its secret is never shown): the user then sets up a
new one at their next sign-in.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.admin import agency_admin_site

# Deleting an attempt lifts its lockout.
agency_admin_site.register(AccessAttempt, AccessAttemptAdmin)


@admin.register(TOTPDevice, StaticDevice, site=agency_admin_site)
class SecondFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "name", "confirmed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
