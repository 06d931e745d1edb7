from __future__ import annotations

import json
import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import DeleteAccountForm, EmailPreferencesForm, OnboardingForm, ProfileForm
from accounts.models import User
from accounts.redirects import safe_next
from billing.selectors import has_access
from billing.stripe_client import StripeUnavailable
from config.page_cache import page_render_cached
from teams.services import TeamError


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a `login_required` view: its user is a signed-in User."""

    user: User


@login_required
@require_http_methods(["GET", "POST"])
def onboarding(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        form = OnboardingForm(request.POST)
        if form.is_valid():
            services.user_onboarding_complete(user=user, **form.cleaned_data)
            return HttpResponseRedirect(next_url)
        status = 400
    else:
        initial = {
            "name": user.name,
            "user_type": user.user_type,
            "experience_level": user.experience_level,
            "build_goal": user.build_goal,
        }
        form = OnboardingForm(initial={k: v for k, v in initial.items() if v})
        status = 200
    return render(request, "accounts/onboarding.html", {"form": form, "next": next_url}, status=status)


def _account_page(
    request: AuthenticatedHttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    preferences_form: EmailPreferencesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _account_context(request, profile_form=profile_form, preferences_form=preferences_form)
    return render(request, "accounts/account.html", context, status=status)


def _account_context(
    request: AuthenticatedHttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    preferences_form: EmailPreferencesForm | None = None,
) -> dict[str, Any]:
    user = request.user
    return {
        "overview": selectors.account_overview(user=user),
        "profile_form": profile_form or ProfileForm(instance=user),
        "preferences_form": preferences_form
        or EmailPreferencesForm(initial={"marketing_emails": not user.marketing_opt_out}),
    }


@login_required
@require_GET
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Kept rendered while nothing on it changed (config/page_cache.py): the learner's row, subscription,
    # addresses, connected accounts, sessions and seat all replace their generation when they change.
    return page_render_cached(
        request,
        "account",
        "accounts/account.html",
        lambda: _account_context(request),
        stamp=(has_access(request.user),),
    )


@login_required
@require_POST
def account_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A copy: a ModelForm writes cleaned values onto its instance, and an invalid form must not
    # leave them on request.user for the rest of the page.
    user = request.user
    form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
    if not form.is_valid():
        return _account_page(request, profile_form=form, status=400)
    services.user_profile_update(user=user, name=form.cleaned_data["name"], image=form.cleaned_data["image"])
    messages.success(request, "Profile saved.")
    return redirect("accounts:account")


@login_required
@require_POST
def account_email_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EmailPreferencesForm(request.POST)
    if not form.is_valid():
        return _account_page(request, preferences_form=form, status=400)
    opt_out = not form.cleaned_data["marketing_emails"]
    services.user_marketing_preference_set(user=request.user, opt_out=opt_out)
    messages.success(
        request,
        "You will no longer get course tips and reminders." if opt_out else "You will get course tips and reminders.",
    )
    return redirect("accounts:account")


@login_required
@require_GET
def account_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = selectors.user_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"syllabus-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _recently_authenticated(request: AuthenticatedHttpRequest) -> bool:
    """Passwordless (Google-only) accounts re-authenticate by signing in again: any sign-in recorded
    by allauth in this session within the re-authentication window counts."""
    records = get_authentication_records(request, request.user)
    if not records:
        return False
    return time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    reauth_needed = not user.has_usable_password() and not _recently_authenticated(request)
    form = DeleteAccountForm(user=user)
    status = 200
    if request.method == "POST" and not reauth_needed:
        # Shares allauth's re-authentication budget: the password field is not a free guessing oracle.
        too_many = ratelimit.consume_or_429(request, action="reauthenticate", user=user)
        if too_many:
            return too_many
        form = DeleteAccountForm(request.POST, user=user)
        if form.is_valid():
            try:
                services.user_delete(user=user)
            except TeamError as exc:  # the last admin of a team with members names a successor first
                messages.error(request, f"{exc} Nothing was deleted.")
                status = 409
            except StripeUnavailable:
                messages.error(
                    request,
                    "We could not cancel your subscription with our payment provider, so nothing was deleted. "
                    "Please try again in a few minutes.",
                )
                status = 503
            else:
                logout(request)
                return redirect("accounts:deleted")
        else:
            status = 400
    elif request.method == "POST":
        status = 403
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "reauth_needed": reauth_needed, "overview": selectors.account_overview(user=user)},
        status=status,
    )


@require_GET
def account_deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html")


@login_required
@require_POST
def account_session_end(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Sign out of this device" on the sessions page, for one of the learner's other devices (this device
    signs out through the usual sign-out form). The id arrives in the body; anything but a small integer is 400."""
    raw = request.POST.get("session", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return HttpResponse("Choose a session from the list.", status=400, content_type="text/plain")
    if not services.user_session_end(user=request.user, session_id=int(raw)):
        messages.info(request, "That device was already signed out.")
    else:
        messages.success(request, "Signed out of that device.")
    return redirect("usersessions_list")
