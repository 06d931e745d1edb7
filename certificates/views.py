"""The public certificate page (verify, share), its PDF and share image, and the owner's show/hide switch.

Unknown ids and hidden certificates (to anyone but their owner) are the same 404, so the page never
confirms that a hidden certificate exists; a revoked one answers 410 and says so.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from certificates.models import Certificate
from certificates.rendering import certificate_image, certificate_pdf
from certificates.selectors import certificate_get, certificate_links
from certificates.services import certificate_visibility_set


def _viewable(request: HttpRequest, certificate_id: str) -> Certificate | HttpResponse:
    certificate = certificate_get(certificate_id)
    is_owner = certificate is not None and request.user.is_authenticated and certificate.user_id == request.user.pk
    if certificate is None or not (certificate.is_public or is_owner):
        return render(request, "certificates/not_found.html", {"certificate_id": certificate_id}, status=404)
    if certificate.is_revoked:
        return render(request, "certificates/revoked.html", {"certificate": certificate}, status=410)
    return certificate


@require_GET
def certificate_detail(request: HttpRequest, certificate_id: str) -> HttpResponse:
    found = _viewable(request, certificate_id)
    if isinstance(found, HttpResponse):
        return found
    context = {
        "certificate": found,
        "links": certificate_links(found),
        "is_owner": request.user.is_authenticated and found.user_id == request.user.pk,
    }
    return render(request, "certificates/detail.html", context)


@require_GET
def certificate_pdf_view(request: HttpRequest, certificate_id: str) -> HttpResponse:
    found = _viewable(request, certificate_id)
    if isinstance(found, HttpResponse):
        return found
    response = HttpResponse(certificate_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{found.pk}.pdf"'
    return response


@require_GET
def certificate_image_view(request: HttpRequest, certificate_id: str) -> HttpResponse:
    found = _viewable(request, certificate_id)
    if isinstance(found, HttpResponse):
        return found
    response = HttpResponse(certificate_image(found), content_type="image/png")
    # Shared previews are fetched by other sites' crawlers; let them cache it for a while.
    response["Cache-Control"] = "public, max-age=3600" if found.is_public else "private, no-store"
    return response


@require_POST
@login_required
def certificate_visibility(request: HttpRequest, certificate_id: str) -> HttpResponse:
    certificate = certificate_get(certificate_id)
    if certificate is None or certificate.user_id != request.user.pk:
        raise Http404("No certificate with this id.")
    public = request.POST.get("public")
    if public not in {"0", "1"}:
        return render(
            request,
            "certificates/error.html",
            {"reason": "Choose whether the certificate is shown (public=1) or hidden (public=0)."},
            status=400,
        )
    certificate_visibility_set(user=request.user, certificate=certificate, public=public == "1")  # type: ignore[arg-type]
    return HttpResponseRedirect(reverse("certificates:detail", args=[certificate.pk]))


@require_GET
def certificate_unknown(request: HttpRequest, certificate_id: str) -> HttpResponse:
    """An id that cannot be one (wrong shape): no lookup, the same page as an unknown id."""
    return render(request, "certificates/not_found.html", {"certificate_id": ""}, status=404)
