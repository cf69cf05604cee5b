"""Portal forms: parse what staff typed (views then call a selector or a service)."""

from __future__ import annotations

from django import forms

from integrations.selectors.events import ActivityFilter


class ActivityFilterForm(forms.Form):
    """Filters of the activity list. Posted, not sent as a query string: a patient's name
    must not land in a URL (browser history, proxy and server logs)."""

    status = forms.ChoiceField(required=False, label="Status")
    day_from = forms.DateField(required=False, label="From",
                               widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(required=False, label="To",
                             widget=forms.DateInput(attrs={"type": "date"}))
    patient = forms.CharField(required=False, max_length=100, label="Patient",
                              help_text="Name, email, phone or NXT Patient ID")

    def __init__(self, *args: object, statuses: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["status"].choices = [("", "Any status"), *statuses]  # type: ignore[attr-defined]

    def activity_filter(self) -> ActivityFilter:
        data = self.cleaned_data
        return ActivityFilter(status=data["status"], day_from=data["day_from"],
                              day_to=data["day_to"], patient=data["patient"].strip())
