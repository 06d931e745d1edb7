from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from analytics.selectors import DEFAULT_DAYS, MAX_DAYS, Window, default_window, window_for_days


class DateRangeForm(forms.Form):
    """The dashboard's range: whole UTC days `start`..`end`, both included. Empty: the last 30 days."""

    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.fields["start"].error_messages["invalid"] = "Enter the start date as YYYY-MM-DD."
        self.fields["end"].error_messages["invalid"] = "Enter the end date as YYYY-MM-DD."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if self.errors or (start is None and end is None):
            return data
        today = self.now.astimezone(UTC).date()
        end = end or today
        start = start or end - timedelta(DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(f"The start date ({start}) is after the end date ({end}).")
        if end > today:
            raise forms.ValidationError(f"The range cannot end after today ({today}).")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"A range can span at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def window(self) -> Window:
        """The chosen window; the default one unless the form is bound, valid and not empty."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("start"):
            return window_for_days(first_day=self.cleaned_data["start"], last_day=self.cleaned_data["end"])
        return default_window(now=self.now)

    def error_text(self) -> str:
        return " ".join(str(message) for messages in self.errors.values() for message in messages)
