from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from allauth.account.forms import SetPasswordForm as AllauthSetPasswordForm
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from django import forms
from django.http import HttpRequest

from accounts.models import ExperienceLevel, User, UserType

BUILD_GOAL_MAX_LENGTH = 2000


class OnboardingForm(forms.Form):
    name = forms.CharField(
        label="What should we call you?",
        help_text="Optional. We use it to greet you; leave it empty and we won't guess.",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    user_type = forms.ChoiceField(
        label="Which describes you best?",
        choices=UserType.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Pick the option that describes you best.",
            "invalid_choice": "Pick one of the options.",
        },
    )
    experience_level = forms.ChoiceField(
        label="How much building experience do you have?",
        choices=ExperienceLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Pick your experience level.", "invalid_choice": "Pick one of the options."},
    )
    build_goal = forms.CharField(
        label="What do you want to build?",
        help_text="A sentence or two is plenty: we use it to point you at the right lessons.",
        max_length=BUILD_GOAL_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Tell us what you want to build."},
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("name", "image")
        labels = {"name": "Name", "image": "Profile image URL"}
        help_texts = {"image": "A link to a picture of you (https://…). Leave empty for none."}
        widgets = {"image": forms.URLInput(attrs={"placeholder": "https://"})}

    def clean_image(self) -> str | None:
        image = self.cleaned_data.get("image")
        if image and not image.lower().startswith("https://"):
            raise forms.ValidationError("Use an https:// link.")
        return image or None


class EmailPreferencesForm(forms.Form):
    marketing_emails = forms.BooleanField(
        label="Send me course tips, reminders and news",
        help_text="Receipts, payment problems and other account emails are always sent.",
        required=False,
    )


class DeleteAccountForm(forms.Form):
    """Re-authentication for deletion: the password when the account has one (passwordless accounts
    re-authenticate through allauth before they see this form) and an explicit confirmation."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand my account, progress and subscription are deleted for good",
        error_messages={"required": "Tick the box to confirm."},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            del self.fields["password"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not correct.")
        return password


class AddEmailForm(AllauthAddEmailForm):
    """allauth's "change email" form, hardened for a unique `User.email`.

    - An address that belongs to another account is never attached to this one. The answer looks
      the same (enumeration prevention); the address's owner gets allauth's "account already
      exists" email instead of a confirmation link that could only fail.
    - A learner whose current address is still unverified keeps it until the new one is confirmed
      (allauth would drop it at once, leaving the account without an email address).
    """

    def save(self, request: HttpRequest) -> EmailAddress:
        assert self.user is not None
        email = self.cleaned_data["email"]
        if any(other.pk != self.user.pk for other in filter_users_by_email(email)):
            get_adapter(request).send_account_already_exists_mail(email)
            return EmailAddress(user=self.user, email=email)  # unsaved: nothing was added
        pending = EmailAddress.objects.get_new(self.user)
        if account_settings.CHANGE_EMAIL and pending is not None and pending.primary:
            return EmailAddress.objects.add_email(request, self.user, email, confirm=True)
        return super().save(request)


class SentenceCaseLabels:
    """allauth's labels and placeholders are Title Case ("Current Password", "Remember Me"); the site writes
    sentence case."""

    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            if field.label:
                field.label = _sentence(str(field.label))
            placeholder = field.widget.attrs.get("placeholder")
            if placeholder:
                field.widget.attrs["placeholder"] = _sentence(str(placeholder))


def _sentence(text: str) -> str:
    return text[:1] + text[1:].lower()


class LoginForm(SentenceCaseLabels, AllauthLoginForm):
    pass


class ChangePasswordForm(SentenceCaseLabels, AllauthChangePasswordForm):
    pass


class SetPasswordForm(SentenceCaseLabels, AllauthSetPasswordForm):
    pass


class ResetPasswordKeyForm(SentenceCaseLabels, AllauthResetPasswordKeyForm):
    pass
