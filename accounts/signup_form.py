"""The extra sign-up field. Its own module: allauth imports ACCOUNT_SIGNUP_FORM_CLASS while building its own
forms, so this file must not import allauth's forms (accounts/forms.py does)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest

from accounts.models import User
from accounts.services import user_name_set


class SignupNameForm(forms.Form):
    """allauth's sign-up form gets this optional field (ACCOUNT_SIGNUP_FORM_CLASS): the name greetings use."""

    name = forms.CharField(
        label="Your name",
        help_text="Optional. We use it to greet you.",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        # allauth calls this right after saving the new user and before `user_signed_up` queues the
        # welcome email, so that email already greets them by name.
        user_name_set(user=user, name=self.cleaned_data.get("name") or "")
