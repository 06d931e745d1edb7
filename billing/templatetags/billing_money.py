"""`{{ cents|money:currency }}`: an amount in a currency's minor unit, as the learner reads it."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

# Stripe's zero-decimal currencies: the amount is already in whole units.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


@register.filter
def money(amount: int | None, currency: str = "usd") -> str:
    currency = (currency or "usd").lower()
    value = Decimal(int(amount or 0))
    if currency not in ZERO_DECIMAL:
        value = value / 100
    text = f"{value:,.0f}" if currency in ZERO_DECIMAL else f"{value:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
