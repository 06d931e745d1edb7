"""Reads of certificates and the links that point at them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from certificates.models import Certificate

if TYPE_CHECKING:
    from accounts.models import User

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def certificate_get(certificate_id: str) -> Certificate | None:
    """A certificate in any state (hidden, revoked); None for an unknown id."""
    return Certificate.objects.filter(pk=certificate_id).first()


def certificate_public_get(certificate_id: str, *, include_hidden: bool = False) -> Certificate | None:
    """A certificate that is not revoked (and public, unless `include_hidden`); None otherwise."""
    found = Certificate.objects.filter(pk=certificate_id, revoked_at__isnull=True)
    if not include_hidden:
        found = found.filter(is_public=True)
    return found.first()


def certificate_for(*, user: User) -> Certificate | None:
    return Certificate.objects.filter(user=user).first()


@dataclass(frozen=True)
class CertificateLinks:
    page: str
    pdf: str
    image: str
    linkedin: str


def certificate_links(certificate: Certificate) -> CertificateLinks:
    """Absolute links (they are shared outside the site: emails, LinkedIn, Open Graph)."""
    site = settings.SITE_URL
    page = site + reverse("certificates:detail", args=[certificate.pk])
    linkedin = (
        LINKEDIN_ADD_TO_PROFILE
        + "?"
        + urlencode(
            {
                "startTask": "CERTIFICATION_NAME",
                "name": certificate.course_title,
                "organizationName": settings.CERTIFICATE_ISSUER,
                "issueYear": certificate.issued_at.year,
                "issueMonth": certificate.issued_at.month,
                "certUrl": page,
                "certId": certificate.pk,
            }
        )
    )
    return CertificateLinks(
        page=page,
        pdf=site + reverse("certificates:pdf", args=[certificate.pk]),
        image=site + reverse("certificates:image", args=[certificate.pk]),
        linkedin=linkedin,
    )
