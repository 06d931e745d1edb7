"""POST /webhooks/stripe/ — the one path every Stripe event takes (STYLE.md):
verify the signature on the raw body (400) → store the event once (a repeat is 200 and a no-op)
→ a dispatch dict of handlers (billing.services.HANDLERS) → services. Unknown types are stored and
answered 200; a failing handler stores its error and answers 500 so Stripe retries."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import services, stripe_client
from billing.models import StripeEventStatus


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is the authentication.
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event = stripe_client.webhook_event_construct(request.body, request.headers.get("Stripe-Signature"))
    except stripe_client.WebhookSignatureInvalid as exc:
        return JsonResponse({"error": f"Invalid Stripe webhook: {exc}"}, status=400)
    stored = services.stripe_event_receive(event=event)
    if stored.status == StripeEventStatus.FAILED:
        return JsonResponse({"error": "The event could not be processed; it is stored for a retry."}, status=500)
    return JsonResponse({"received": event.id, "status": stored.status})
