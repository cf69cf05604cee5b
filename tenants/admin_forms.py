"""Admin forms that accept secrets but never render them back, and keep them bound to the
addresses they were entered for."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from tenants.credential_urls import URL_BOUND_SECRETS, URL_HOSTS, sandbox_urls_allowed, url_refusal
from tenants.models import GhlCredential, NextechCredential, Practice
from tenants.models.credentials import ghl_url_defaults, nextech_url_defaults


class WriteOnlySecretsForm(forms.ModelForm):
    """Secret model fields become blank password inputs; blank means "keep what is stored",
    unless an address changed: then every stored secret is dropped and must be typed again,
    so what was entered for one host never goes to another. A new row's URLs start from
    `url_defaults()` (settings), then the model's defaults."""

    secret_fields: ClassVar[tuple[str, ...]] = ()

    @staticmethod
    def url_defaults() -> dict[str, str]:
        return {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            for name, url in self.url_defaults().items():
                self.fields[name].initial = url
        for name in self.secret_fields:
            stored = bool(self.instance.pk and getattr(self.instance, name))
            self.fields[name] = forms.CharField(
                label=self.instance._meta.get_field(name).verbose_name.capitalize(),
                required=False,
                strip=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                help_text=(
                    "A value is stored (encrypted). Leave blank to keep it; changing an "
                    "address above clears it."
                    if stored
                    else "Stored encrypted; never shown again."
                ),
            )
            self.initial[name] = ""

    def _url_fields(self) -> dict[str, frozenset[str]]:
        return URL_HOSTS[self._meta.model]

    def _urls_changed(self) -> bool:
        return bool(self.instance.pk) and any(
            name in self.changed_data for name in self._url_fields())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        allow_any_host = sandbox_urls_allowed()
        for name, hosts in self._url_fields().items():
            why = cleaned.get(name) and url_refusal(cleaned[name], hosts=hosts,
                                                    allow_any_host=allow_any_host)
            if why:
                self.add_error(name, f"This address {why}.")
        if self._urls_changed():
            self._secrets_forget()
            return cleaned
        for name in self.secret_fields:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    def _secrets_forget(self) -> None:
        """Blank the stored secrets the form does not ask for (tokens, their dates); blank
        secret inputs stay blank instead of keeping what is stored."""
        for name in URL_BOUND_SECRETS[self._meta.model]:
            if name not in self.secret_fields:
                setattr(self.instance, name, self.instance._meta.get_field(name).get_default())


class NextechCredentialForm(WriteOnlySecretsForm):
    secret_fields = ("password", "partner_secret")
    url_defaults = staticmethod(nextech_url_defaults)

    class Meta:
        model = NextechCredential
        fields = [
            "base_url",
            "token_url",
            "resource",
            "practice_guid",
            "client_id",
            "username",
            "password",
            "partner_id",
            "partner_secret",
        ]


class GhlCredentialForm(WriteOnlySecretsForm):
    secret_fields = ("private_token",)
    url_defaults = staticmethod(ghl_url_defaults)

    class Meta:
        model = GhlCredential
        fields = [
            "auth_kind",
            "location_id",
            "company_id",
            "private_token",
            "api_base_url",
            "authorize_url",
            "token_url",
        ]


class PracticeForm(forms.ModelForm):
    """The practice page's form. Payments are a choice staff make (on or off, after the
    spec's warning), not a checkbox whose default could pass for a decision."""

    payments = forms.ChoiceField(
        label="Payments sync", required=False, widget=forms.RadioSelect,
        choices=[("", "Not decided yet"), ("on", "On"), ("off", "Off")],
        help_text="Until decided, the practice type's default applies (med spas on, "
                  "plastic surgery off).")

    class Meta:
        model = Practice
        fields = ["name", "slug", "emr_flavor", "practice_type", "time_zone", "country",
                  "poll_interval_minutes", "status", "status_reason", "price_per_location"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.payments_decided_at:
            self.initial["payments"] = "on" if self.instance.payments_enabled else "off"

    def save(self, commit: bool = True) -> Practice:
        practice = super().save(commit=False)
        choice = self.cleaned_data.get("payments") or ""
        if choice:
            if practice.payments_decided_at is None or self.initial.get("payments") != choice:
                practice.payments_decided_at = timezone.now()
            practice.payments_enabled = choice == "on"
        if commit:
            practice.save()
        return practice
