"""Revenue and retention (issue 16): trials, the in-app cancel flow (pause, discount, plan switch,
cancel at period end), resuming, and the lifecycle emails that follow a subscription's transitions.

Two halves. `fields_apply` / `transitions_record` are called by `billing.services.sync.subscription_sync`,
so trial, pause and cancellation state converge from Stripe like everything else, and each side effect
(events, emails) fires once on a transition of the row. The cancel-flow services write to Stripe through
`billing.stripe_client` and *never* to the subscription row: the row changes when Stripe's
`customer.subscription.updated` arrives (the page never trusts its own write). What they do record at
once is ours alone: the learner's reason and the offer they took (`CancelFlow`).
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import (
    CancelFlow,
    CancelOutcome,
    CancelReason,
    Subscription,
    SubscriptionPlan,
    SubscriptionStatus,
)
from billing.plans import plan_price_id
from billing.selectors import retention_discount_taken, subscription_for
from emails.triggers import (
    cancellation_confirmed_email_queue,
    trial_ending_email_queue,
    winback_email_cancel,
    winback_email_queue,
)

if TYPE_CHECKING:
    from accounts.models import User
    from billing.stripe_client import StripeSubscription

logger = logging.getLogger(__name__)

DETAIL_MAX_LENGTH = 2000
# A win-back for an ending recorded this long after the fact (a resync of old history) is not sent.
WINBACK_STALE_AFTER = timedelta(days=7)


class CancelFlowError(Exception):
    """The post cannot be carried out; the message is safe to show. `status` is the HTTP answer."""

    status = 400


class CancelFlowAnswered(CancelFlowError):
    status = 409


class OfferUnavailable(CancelFlowError):
    status = 400


class NothingToResume(CancelFlowError):
    status = 409


# --- convergence hooks (called by subscription_sync) ------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    status: str
    stripe_status: str
    renewing: bool


def _renewing(row: Subscription) -> bool:
    return row.grants_access and not row.cancel_at_period_end


def snapshot(row: Subscription) -> Snapshot:
    return Snapshot(status=row.status, stripe_status=row.stripe_status, renewing=_renewing(row))


def fields_apply(*, row: Subscription, remote: StripeSubscription, same_subscription: bool) -> None:
    """Copy Stripe's trial, pause and discount state onto the row (before it is saved)."""
    if not same_subscription:
        row.trial_converted_at = None
    row.trial_start = remote.trial_start
    row.trial_end = remote.trial_end
    row.pause_resumes_at = remote.pause_resumes_at
    row.pause_starts_at = remote.pause_starts_at
    row.discount_coupon_id = remote.discount_coupon_id
    row.ended_at = remote.ended_at


def transitions_record(*, row: Subscription, before: Snapshot | None, synced_at: datetime) -> None:
    """Events and emails of this sync's transitions, each once whatever the order or repeats of events:
    `trial_started` the first time the row sees a trial; `trial_converted` once, when a trial subscription
    is first seen active; CANCELLATION_CONFIRMED when a renewing subscription stops renewing; WINBACK when
    access ends. Call inside the sync's transaction, after the row is saved."""
    fields: list[str] = []
    if row.trial_start is not None:
        if before is None or before.stripe_status in {"", "incomplete"}:
            event_track(name=EventName.TRIAL_STARTED, user=row.user, properties={"plan": str(row.plan)})
        if row.stripe_status == "active" and row.trial_converted_at is None:
            row.trial_converted_at = synced_at
            fields.append("trial_converted_at")
            event_track(name=EventName.TRIAL_CONVERTED, user=row.user, properties={"plan": str(row.plan)})
    if fields:
        row.save(update_fields=[*fields, "updated_at"])

    never_started = row.stripe_status in {"incomplete", "incomplete_expired"}
    if never_started:
        return
    renewing_now = _renewing(row)
    if before is not None and before.renewing and not renewing_now:
        ends_at = row.current_period_end if row.grants_access else (row.ended_at or synced_at)
        cancellation_confirmed_email_queue(subscription=row, ends_at=ends_at)
    ended_now = row.status == SubscriptionStatus.CANCELLED and (
        before is None or before.status != SubscriptionStatus.CANCELLED
    )
    if ended_now:
        access_ended_at = row.ended_at or synced_at
        if access_ended_at >= timezone.now() - WINBACK_STALE_AFTER - timedelta(days=settings.WINBACK_DELAY_DAYS):
            winback_email_queue(
                subscription=row, access_ended_at=access_ended_at, delay=timedelta(days=settings.WINBACK_DELAY_DAYS)
            )


def winback_cancel(*, user: User) -> int:
    """The learner subscribed again: their pending WINBACK is moot."""
    return winback_email_cancel(user=user)


# --- offers --------------------------------------------------------------------------------------


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def other_plan(plan: str) -> SubscriptionPlan:
    return SubscriptionPlan.MONTHLY if plan == SubscriptionPlan.ANNUAL else SubscriptionPlan.ANNUAL


@dataclass(frozen=True)
class Offers:
    pause_months: tuple[int, ...]  # empty: pausing is not offered
    discount: bool
    discount_label: str
    switch_to: SubscriptionPlan | None


def offers_for(*, subscription: Subscription) -> Offers:
    """What the cancel flow may offer this learner (each offer is configurable in settings)."""
    max_months = max(0, min(settings.CANCEL_OFFER_PAUSE_MAX_MONTHS, 3))
    # A trial has nothing to pause (nothing is being collected yet).
    can_pause = subscription.status == SubscriptionStatus.ACTIVE and not subscription.has_pause
    return Offers(
        pause_months=tuple(range(1, max_months + 1)) if can_pause else (),
        discount=bool(settings.STRIPE_RETENTION_COUPON)
        and subscription.status == SubscriptionStatus.ACTIVE
        and not subscription.discount_coupon_id
        and subscription.user is not None  # a team's subscription has no learner's cancel flow
        and not retention_discount_taken(user=subscription.user),
        discount_label=settings.RETENTION_COUPON_LABEL,
        switch_to=other_plan(subscription.plan) if settings.CANCEL_OFFER_SWITCH_PLAN else None,
    )


# --- the cancel flow -----------------------------------------------------------------------------


def _cancellable(user: User) -> Subscription:
    subscription = subscription_for(user)
    if subscription is None or not subscription.grants_access:
        raise CancelFlowError("You have no active membership to cancel.")
    if subscription.cancel_at_period_end:
        raise CancelFlowAnswered("Your membership is already set to end; you can resume it instead.")
    return subscription


def cancel_flow_start(*, user: User, reason: str, detail: str) -> CancelFlow:
    """Step one: the learner says why. Stores the reason (and free text) and records `cancel_flow_started`.
    Nothing reaches Stripe. Raises CancelFlowError."""
    if reason not in CancelReason.values:
        raise CancelFlowError("Choose one of the reasons listed.")
    if "\x00" in detail:
        raise CancelFlowError("The text contains a character we can't store (NUL).")
    detail = detail.strip()
    if len(detail) > DETAIL_MAX_LENGTH:
        raise CancelFlowError(f"Please keep it under {DETAIL_MAX_LENGTH} characters.")
    subscription = _cancellable(user)
    with transaction.atomic():
        flow = CancelFlow.objects.create(
            user=user, subscription=subscription, reason=reason, detail=detail, plan_before=subscription.plan
        )
        event_track(name=EventName.CANCEL_FLOW_STARTED, user=user, properties={"reason": reason, "flow": flow.pk})
    return flow


def _claim(*, flow_id: str, user: User, subscription_id: str) -> tuple[CancelFlow, Subscription]:
    """Lock the learner's open flow (a replayed or concurrent post waits, then finds it answered)."""
    flow = CancelFlow.objects.select_for_update().filter(pk=flow_id, user=user).first()
    if flow is None:
        raise CancelFlowError("This cancellation request does not exist.")
    if flow.is_answered:
        raise CancelFlowAnswered("This cancellation request was already answered; nothing was changed.")
    subscription = _cancellable(user)
    if subscription_id != subscription.pk or flow.subscription_id != subscription.pk:
        raise CancelFlowError("That subscription is not yours to change.")
    return flow, subscription


def _answer(flow: CancelFlow, outcome: CancelOutcome, *, months: int | None = None) -> CancelFlow:
    flow.outcome = outcome
    flow.pause_months = months
    flow.answered_at = timezone.now()
    flow.save(update_fields=["outcome", "pause_months", "answered_at"])
    if outcome != CancelOutcome.CANCELLED:
        properties: dict[str, object] = {"offer": str(outcome), "flow": flow.pk, "reason": flow.reason}
        if months:
            properties["months"] = months
        event_track(name=EventName.CANCEL_OFFER_ACCEPTED, user=flow.user, properties=properties)
    return flow


def cancel_flow_answer(
    *, user: User, flow_id: str, subscription_id: str, action: str, months: str | None = None
) -> CancelFlow:
    """Step two: the learner takes an offer (`pause` with `months`, `discount`, `switch`) or cancels at the
    period end (`cancel`). Validates everything, then makes the one Stripe call, then records the answer;
    if Stripe fails nothing is recorded (and the flow can be answered again). The subscription row is
    left to Stripe's webhook. Raises CancelFlowError (with its HTTP status), StripeUnavailable."""
    with transaction.atomic():
        flow, subscription = _claim(flow_id=flow_id, user=user, subscription_id=subscription_id)
        offers = offers_for(subscription=subscription)
        sub_id = subscription.stripe_subscription_id
        # Per flow and choice: a retry after a failure repeats the same request, a different choice is a new one.
        key = f"cancel-flow:{flow.pk}:{action}:{(months or '')[:2]}"
        if action == "pause":
            if not offers.pause_months:
                raise OfferUnavailable("Pausing isn't available for this membership.")
            n = int(months) if months and months.isdigit() and len(months) < 3 else 0
            if n not in offers.pause_months:
                raise OfferUnavailable(
                    f"Choose a pause of {offers.pause_months[0]} to {offers.pause_months[-1]} months."
                )
            starts = subscription.current_period_end
            stripe_client.subscription_pause(
                subscription_id=sub_id, starts_at=starts, resumes_at=_add_months(starts, n), idempotency_key=key
            )
            return _answer(flow, CancelOutcome.PAUSED, months=n)
        if action == "discount":
            if not offers.discount:
                raise OfferUnavailable("The retention discount is not available (it can be used once).")
            try:
                with transaction.atomic():
                    _answer(flow, CancelOutcome.DISCOUNTED)
            except IntegrityError as exc:  # another flow of this learner took it a moment ago
                raise OfferUnavailable("The retention discount is not available (it can be used once).") from exc
            # Keyed per learner, not per flow: Stripe applies the coupon once whatever happens here.
            stripe_client.subscription_discount_apply(
                subscription_id=sub_id,
                coupon_id=settings.STRIPE_RETENTION_COUPON,
                idempotency_key=f"retention:{user.pk}",
            )
            return flow
        if action == "switch":
            if offers.switch_to is None:
                raise OfferUnavailable("Switching plan isn't offered here; use the billing portal.")
            stripe_client.subscription_price_switch(
                subscription_id=sub_id,
                item_id=_item_id(subscription),
                price_id=plan_price_id(offers.switch_to),
                idempotency_key=key,
            )
            return _answer(flow, CancelOutcome.SWITCHED)
        if action == "cancel":
            stripe_client.subscription_cancel_at_period_end_set(
                subscription_id=sub_id, cancel=True, idempotency_key=key
            )
            return _answer(flow, CancelOutcome.CANCELLED)
        raise CancelFlowError("Choose one of the options on the page.")


def _item_id(subscription: Subscription) -> str:
    # The row does not store Stripe's item id; the current state names it.
    return stripe_client.subscription_retrieve(subscription.stripe_subscription_id).item_id


def subscription_resume(*, user: User, subscription_id: str) -> str:
    """ "Resume subscription": undo a scheduled cancel (before the period ends) or end a pause now. One
    Stripe call; the row follows the webhook. Returns what was undone ("cancel" or "pause").
    Raises NothingToResume, CancelFlowError, StripeUnavailable."""
    subscription = subscription_for(user)
    if subscription is None or subscription_id != subscription.pk:
        raise CancelFlowError("That subscription is not yours to change.")
    if not subscription.grants_access:
        raise NothingToResume("This membership has ended; choose a plan to start a new one.")
    now = timezone.now()
    if subscription.cancel_at_period_end:
        if subscription.current_period_end <= now:
            raise NothingToResume("This membership has already ended.")
        stripe_client.subscription_cancel_at_period_end_set(
            subscription_id=subscription.stripe_subscription_id,
            cancel=False,
            idempotency_key=f"resume:{subscription.stripe_subscription_id}:{subscription.stripe_synced_at}",
        )
        return "cancel"
    if subscription.has_pause:
        stripe_client.subscription_unpause(
            subscription_id=subscription.stripe_subscription_id,
            idempotency_key=f"unpause:{subscription.stripe_subscription_id}:{subscription.stripe_synced_at}",
        )
        return "pause"
    raise NothingToResume("Your membership is not paused or set to end; there is nothing to resume.")


# --- webhooks ----------------------------------------------------------------------------------


def on_trial_will_end(event: stripe_client.WebhookEvent, *, refresh: Callable[..., Subscription]) -> None:
    """`customer.subscription.trial_will_end` (Stripe sends it 3 days before the trial ends): re-read the
    subscription like every other event, then queue TRIAL_ENDING with the plan, the date and the amount —
    unless, by Stripe's current state, the trial is already over or set to end without converting."""
    row = refresh(stripe_subscription_id=str(event.object["id"]))
    if row.status != SubscriptionStatus.TRIALING or row.trial_end is None or row.cancel_at_period_end:
        # Not an error: the sync above still stands; there is just nothing to warn about.
        logger.info("No TRIAL_ENDING for %s: no longer in a converting trial", row.stripe_subscription_id)
        return
    trial_ending_email_queue(subscription=row)
