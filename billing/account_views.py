"""The learner's own billing pages under /account/: the cancel flow, resuming, and invoices.

Thin: parse, call one service or selector, render. Every change goes to Stripe through the services and
shows up here only once Stripe's webhook has updated the subscription (the page never trusts its write)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import CancelFlow, CancelReason
from billing.selectors import invoices_for, subscription_for
from billing.services import retention
from billing.stripe_client import StripeUnavailable
from progress.selectors import learner_standing

if TYPE_CHECKING:
    from accounts.models import User

STRIPE_DOWN = "We couldn't reach our payment provider, so nothing was changed. Please try again in a minute."


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "billing/error.html", {"message": message}, status=status)


def _page(request: HttpRequest, *, flow: CancelFlow | None = None, status: int = 200, **extra: object) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    subscription = subscription_for(user)
    context: dict[str, object] = {
        "subscription": subscription,
        "flow": flow,
        "reasons": CancelReason.choices,
        "standing": learner_standing(user=user) if subscription is not None else None,
        "offers": retention.offers_for(subscription=subscription) if subscription is not None else None,
        "paused_now": subscription is not None and subscription.is_paused_at(timezone.now()),
        **extra,
    }
    return render(request, "billing/cancel.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    """Step one: why are you leaving? (GET shows the form, POST stores the answer and shows the offers.)"""
    if request.method == "GET":
        return _page(request)
    try:
        flow = retention.cancel_flow_start(
            user=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
            detail=request.POST.get("detail", ""),
        )
    except retention.CancelFlowError as exc:
        return _page(request, status=exc.status, error=str(exc), detail=request.POST.get("detail", "")[:2000])
    return _see_other(reverse("billing:cancel_offers", kwargs={"flow_id": flow.pk}))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def cancel_offers(request: HttpRequest, flow_id: str) -> HttpResponse:
    """Step two: the offers, then the learner's choice (one Stripe call), then the outcome."""
    flow = CancelFlow.objects.filter(pk=flow_id, user=request.user).first()  # type: ignore[misc]
    if flow is None:
        raise Http404("No such cancellation request.")
    if request.method == "GET":
        return _page(request, flow=flow)
    try:
        flow = retention.cancel_flow_answer(
            user=request.user,  # type: ignore[arg-type]
            flow_id=flow.pk,
            subscription_id=request.POST.get("subscription", ""),
            action=request.POST.get("action", ""),
            months=request.POST.get("months"),
        )
    except retention.CancelFlowError as exc:
        return _page(request, flow=flow, status=exc.status, error=str(exc))
    except StripeUnavailable:
        return _page(request, flow=flow, status=503, error=STRIPE_DOWN)
    return _see_other(reverse("billing:cancel_offers", kwargs={"flow_id": flow.pk}))


@login_required
@require_POST
def resume(request: HttpRequest) -> HttpResponse:
    """ "Resume subscription": undo a scheduled cancel, or end a pause now."""
    try:
        undone = retention.subscription_resume(
            user=request.user,  # type: ignore[arg-type]
            subscription_id=request.POST.get("subscription", ""),
        )
    except retention.CancelFlowError as exc:
        return _error(request, str(exc), exc.status)
    except StripeUnavailable:
        return _error(request, STRIPE_DOWN, 503)
    messages.success(
        request,
        "Your membership will carry on as before — confirming with our payment provider…"
        if undone == "cancel"
        else "Your membership is resuming — confirming with our payment provider…",
    )
    return _see_other(reverse("billing:cancel"))


@never_cache
@login_required
@require_GET
def billing_history(request: HttpRequest) -> HttpResponse:
    """/account/billing/: the learner's invoices from Stripe (date, amount, tax, status, links)."""
    listing = invoices_for(user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "billing/invoices.html",
        {
            "subscription": subscription_for(request.user),
            "invoices": listing.invoices,
            "unavailable": listing.unavailable,
        },
    )
