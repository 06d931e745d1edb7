"""Pricing, Checkout, the post-Checkout wait and the Customer Portal. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from billing import services
from billing.models import SubscriptionPlan
from billing.plans import annual_saving, annual_saving_percent, plan_for_key, plan_get
from billing.selectors import has_access, subscription_for
from billing.stripe_client import StripeUnavailable
from config.site import absolute
from progress.selectors import next_lesson_for

if TYPE_CHECKING:
    from accounts.models import User


def _redirect_303(url: str) -> HttpResponseRedirect:
    """303 See Other: the browser follows a POST's answer with a GET (to Stripe or back here)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _course_entry_url(user: User) -> str:
    """Where a new subscriber starts: the next lesson they have not completed, else the outline."""

    lesson = next_lesson_for(user=user)
    return lesson.get_absolute_url() if lesson is not None else "/course/"


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    subscription = subscription_for(request.user)
    monthly, annual = plan_get(SubscriptionPlan.MONTHLY), plan_get(SubscriptionPlan.ANNUAL)
    context = {
        "price_monthly": monthly.price,
        "price_annual": annual.price,
        "annual_saving": annual_saving(),
        "twelve_monthly": 12 * monthly.price,
        "annual_saving_percent": annual_saving_percent(),
        "annual_per_month": f"{annual.price / 12:.2f}",
        "subscription": subscription,
        "subscribed": subscription is not None and subscription.grants_access,
        "has_access": has_access(request.user),
    }
    return render(request, "billing/pricing.html", context)


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # Signed out: sign in, then come back to choose the plan again (this endpoint is POST-only).
        return redirect_to_login(reverse("billing:pricing"))
    user: User = request.user  # type: ignore[assignment]
    plan = plan_for_key(request.POST.get("plan", ""))
    if plan is None:
        return render(request, "billing/error.html", {"message": "Choose the monthly or the annual plan."}, status=400)
    subscription = subscription_for(user)
    try:
        if subscription is not None and subscription.grants_access:
            # Already subscribed: plan changes, card updates and cancelling happen in the portal,
            # never in a second subscription.
            url = services.portal_session_start(user=user, return_url=absolute("/account/"))
        else:
            url = services.checkout_start(
                user=user,
                plan=plan,
                success_url=absolute(reverse("billing:success")) + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=absolute(reverse("billing:pricing")),
            )
    except StripeUnavailable:
        messages.error(request, "We couldn't reach our payment provider. Nothing was charged; please try again.")
        return _redirect_303(reverse("billing:pricing"))
    return _redirect_303(url)


@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("billing:pricing"))
    try:
        url = services.portal_session_start(user=request.user, return_url=absolute("/account/"))  # type: ignore[arg-type]
    except services.NoSubscription:
        messages.info(request, "You don't have a subscription to manage yet. Choose a plan to start one.")
        return _redirect_303(reverse("billing:pricing"))
    except StripeUnavailable:
        messages.error(request, "We couldn't open the billing portal just now. Please try again in a minute.")
        # Back to the page the button was on, but only if it is one of ours (never an open redirect).
        back = request.META.get("HTTP_REFERER", "")
        safe = url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return _redirect_303(back if safe else "/account/")
    return _redirect_303(url)


@never_cache
@login_required
@require_GET
def success(request: HttpRequest) -> HttpResponse:
    """Back from Checkout. Access arrives with Stripe's webhook; until then this page waits
    (polling `billing:status`, or refreshing itself without JavaScript)."""
    if has_access(request.user):
        messages.success(request, "Welcome aboard — your subscription is active.")
        return redirect(_course_entry_url(request.user))  # type: ignore[arg-type]
    return render(request, "billing/success.html", {"status_url": reverse("billing:status")})


@never_cache
@login_required
@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """Has the webhook landed? `{"ready": bool, "next": url}` for the success page's poll."""
    ready = has_access(request.user)
    return JsonResponse({"ready": ready, "next": _course_entry_url(request.user) if ready else None})  # type: ignore[arg-type]
