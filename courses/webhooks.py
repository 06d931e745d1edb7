"""POST /webhooks/mux/ — the one path every Mux event takes (config/provider_events.py): verify the
signature on the raw body (400) → store the event once → answer 200 at once; when the insert commits
a Celery task dispatches it to its handler (courses.services.MUX_HANDLERS).

Mux retries any non-2xx answer for 24 hours and may deliver an event twice or out of order: a repeat
of a handled event is a 200 no-op, a failed one is retried by the sweeper, and every handler is
written so that `video.asset.ready` arriving before `video.upload.asset_created` converges.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.provider_events import on_commit_queue
from courses import mux, services, tasks

logger = logging.getLogger(__name__)


@csrf_exempt  # Mux cannot send a CSRF token; the signature is the authentication.
@require_POST
def mux_webhook(request: HttpRequest) -> HttpResponse:
    try:
        mux.webhook_signature_verify(
            body=request.body,
            header=request.headers.get("Mux-Signature"),
            secret=settings.MUX_WEBHOOK_SECRET,
            tolerance_seconds=settings.MUX_WEBHOOK_TOLERANCE_SECONDS,
        )
        event = services.mux_event_parse(request.body)
    except mux.WebhookSignatureError as exc:
        logger.warning("Mux webhook refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=400)
    except services.NotAMuxEvent as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    stored = services.mux_event_receive(event=event)
    if not services.mux_event_is_open(stored):
        return JsonResponse({"status": "duplicate"})
    on_commit_queue(tasks.mux_event_process, stored.pk)
    return JsonResponse({"status": "received"})
