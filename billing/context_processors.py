from django.http import HttpRequest


def billing(request: HttpRequest) -> dict[str, object]:
    """Billing state every page may show (the PAST_DUE banner). Filled in by the billing issue."""
    return {}
