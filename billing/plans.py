"""The two plans: the one home for their names, prices, intervals, Stripe price ids, the annual
saving and what each contributes to MRR. Billing, the course pages, emails and analytics read plans
only through here.

Amounts are whole dollars from settings (`PLAN_PRICE_MONTHLY` / `PLAN_PRICE_ANNUAL`, the seed's 49 and
399) and price ids from `STRIPE_PRICE_MONTHLY` / `STRIPE_PRICE_ANNUAL`; both are read at call time,
never captured at import, so an overridden setting is seen everywhere at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from billing.models import SubscriptionPlan

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Plan:
    code: SubscriptionPlan  # what a Subscription row stores
    key: str  # what a plan form posts ("monthly" / "annual")
    name: str
    price: int  # whole dollars per billing interval
    interval: str  # Stripe's recurring interval: "month" / "year"
    stripe_price_id: str

    @property
    def months(self) -> int:
        return 12 if self.interval == "year" else 1

    def mrr_of(self, count: int) -> Decimal:
        """What `count` ACTIVE subscriptions on this plan add to MRR (the seed's 49 and 399/12 each)."""
        return Decimal(self.price) * count / self.months


def plan_get(code: SubscriptionPlan | str) -> Plan:
    """The plan of a Subscription's `plan` value; anything but ANNUAL is the monthly plan."""
    if code == SubscriptionPlan.ANNUAL:
        return Plan(
            code=SubscriptionPlan.ANNUAL,
            key="annual",
            name=SubscriptionPlan.ANNUAL.label,
            price=settings.PLAN_PRICE_ANNUAL,
            interval="year",
            stripe_price_id=settings.STRIPE_PRICE_ANNUAL,
        )
    return Plan(
        code=SubscriptionPlan.MONTHLY,
        key="monthly",
        name=SubscriptionPlan.MONTHLY.label,
        price=settings.PLAN_PRICE_MONTHLY,
        interval="month",
        stripe_price_id=settings.STRIPE_PRICE_MONTHLY,
    )


def plans_all() -> list[Plan]:
    """Both plans, monthly first (the order every page shows them in)."""
    return [plan_get(SubscriptionPlan.MONTHLY), plan_get(SubscriptionPlan.ANNUAL)]


def plan_for_key(key: str) -> SubscriptionPlan | None:
    """The plan a form posted (`monthly` / `annual`), or None for anything else."""
    return next((plan.code for plan in plans_all() if plan.key == key), None)


def plan_price_id(plan: SubscriptionPlan | str) -> str:
    return plan_get(plan).stripe_price_id


def plan_for_price(price_id: str, interval: str = "") -> SubscriptionPlan:
    """The plan of a Stripe price: by id (settings), else by its billing interval."""
    for plan in plans_all():
        if price_id == plan.stripe_price_id:
            return plan.code
    logger.warning("Stripe price %s is neither configured plan; judging by its interval %r", price_id, interval)
    return SubscriptionPlan.ANNUAL if interval == "year" else SubscriptionPlan.MONTHLY


def annual_saving() -> int:
    """Dollars a year the annual plan saves against twelve monthly payments."""
    return 12 * plan_get(SubscriptionPlan.MONTHLY).price - plan_get(SubscriptionPlan.ANNUAL).price


def annual_saving_percent() -> int:
    """The annual saving as a whole percentage of twelve monthly payments."""
    return round(100 * annual_saving() / (12 * plan_get(SubscriptionPlan.MONTHLY).price))


def mrr_amount(*, monthly: int, annual: int) -> Decimal:
    """Monthly recurring revenue in dollars of `monthly` and `annual` ACTIVE subscriptions, to the cent."""
    total = plan_get(SubscriptionPlan.MONTHLY).mrr_of(monthly) + plan_get(SubscriptionPlan.ANNUAL).mrr_of(annual)
    return total.quantize(CENT)
