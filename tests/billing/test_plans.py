"""The plans module: the one home of plan names, prices, price ids and MRR amounts."""

from decimal import Decimal

from billing.models import SubscriptionPlan
from billing.plans import annual_saving, mrr_amount, plan_for_key, plan_for_price


def test_plan_for_price_falls_back_to_the_interval(settings):
    assert plan_for_price(settings.STRIPE_PRICE_ANNUAL) == SubscriptionPlan.ANNUAL
    assert plan_for_price(settings.STRIPE_PRICE_MONTHLY) == SubscriptionPlan.MONTHLY
    assert plan_for_price("price_legacy", "year") == SubscriptionPlan.ANNUAL
    assert plan_for_price("price_legacy", "month") == SubscriptionPlan.MONTHLY


def test_a_form_names_a_plan_by_its_key_and_nothing_else_is_one():
    assert plan_for_key("monthly") == SubscriptionPlan.MONTHLY
    assert plan_for_key("annual") == SubscriptionPlan.ANNUAL
    assert plan_for_key("ANNUAL") is None and plan_for_key("") is None and plan_for_key("yearly\x00") is None


def test_amounts_follow_the_settings_at_call_time(settings):
    assert annual_saving() == 12 * 49 - 399
    assert mrr_amount(monthly=3, annual=2) == Decimal("213.50")  # the seed's 3 * 49 + 2 * 399/12
    settings.PLAN_PRICE_MONTHLY, settings.PLAN_PRICE_ANNUAL = 59, 499
    assert annual_saving() == 12 * 59 - 499
    assert mrr_amount(monthly=1, annual=1) == Decimal("100.58")  # 59 + 499/12 = 100.583…
