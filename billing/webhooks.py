"""POST /webhooks/stripe/ — the one path every Stripe event takes (config/provider_events.py):
verify the signature on the raw body (400) → store the event once → answer 200 at once; when the
insert commits a Celery task dispatches it to its handler (billing.services.HANDLERS). Nothing here
waits for Stripe or for a lock, so a Stripe brownout cannot tie up the web workers."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import services, stripe_client, tasks
from config.provider_events import on_commit_queue


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is the authentication.
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event = stripe_client.webhook_event_construct(request.body, request.headers.get("Stripe-Signature"))
    except stripe_client.WebhookSignatureInvalid as exc:
        return JsonResponse({"error": f"Invalid Stripe webhook: {exc}"}, status=400)
    stored = services.stripe_event_receive(event=event)
    if services.stripe_event_is_open(stored):
        on_commit_queue(tasks.stripe_event_process, stored.pk)
    return JsonResponse({"received": event.id, "status": stored.status})
