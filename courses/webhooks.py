"""Mux webhooks (POST /webhooks/mux/). Replaced by the content-admin work: verify, store once, dispatch."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def mux_webhook(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Mux webhooks are not configured yet.", status=503)
