"""The public certificate page (Open Graph tags, LinkedIn link), the PDF and share image, hiding and revoking."""

import io
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ObjectDoesNotExist
from PIL import Image
from pypdf import PdfReader

from certificates.models import Certificate
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(db):
    return Certificate.objects.create(
        user=UserFactory(name="Grace Hopper"),
        name="Grace Hopper",
        course_title="The Syllabus course",
        lessons_completed=6,
        issued_at=datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
    )


def meta(html, prop):
    import re

    match = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return match.group(1) if match else None


def test_the_public_page_verifies_and_carries_open_graph_tags(client, certificate):
    response = client.get(f"/certificates/{certificate.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Grace Hopper" in html and "November 3, 2026" in html and certificate.pk in html
    url = f"http://testserver/certificates/{certificate.pk}/"
    assert meta(html, "og:url") == url
    assert meta(html, "og:title") == "Grace Hopper completed The Syllabus course"
    assert meta(html, "og:image") == f"{url}share.png"
    assert meta(html, "og:type") == "website" and meta(html, "twitter:card") == "summary_large_image"
    assert certificate.pk in meta(html, "og:description")

    import re

    linkedin = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', html).group(1)
    query = parse_qs(urlsplit(linkedin.replace("&amp;", "&")).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"] and query["name"] == ["The Syllabus course"]
    assert query["certUrl"] == [url] and query["certId"] == [certificate.pk]
    assert (query["issueYear"], query["issueMonth"]) == (["2026"], ["11"])


def test_the_pdf_opens_and_holds_the_name(client, certificate):
    response = client.get(f"/certificates/{certificate.pk}/certificate.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Grace Hopper" in text and "The Syllabus course" in text and certificate.pk in text


def test_a_name_outside_latin_1_still_renders(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(name="Zoë 李小龍 Ødegård")
    response = client.get(f"/certificates/{certificate.pk}/certificate.pdf")
    assert response.status_code == 200
    PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_the_share_image_is_a_1200_by_630_png(client, certificate):
    response = client.get(f"/certificates/{certificate.pk}/share.png")
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)


@pytest.mark.parametrize("bad", ["made-up", "z" * 25, "Z" * 25, "a" * 26, "%00"])
def test_a_made_up_id_is_a_clear_404(client, bad):
    response = client.get(f"/certificates/{bad}/")
    assert response.status_code == 404
    assert "No certificate with this id" in response.content.decode()


def test_the_learner_hides_it_and_only_they_still_see_it(client, certificate):
    client.force_login(certificate.user)
    assert client.post(f"/certificates/{certificate.pk}/visibility/", {"public": "maybe"}).status_code == 400
    assert client.post(f"/certificates/{certificate.pk}/visibility/", {"public": "0"}).status_code == 302
    certificate.refresh_from_db()
    assert not certificate.is_public
    assert "only you can see this page" in client.get(f"/certificates/{certificate.pk}/").content.decode()
    client.logout()
    for path in ("", "certificate.pdf", "share.png"):
        assert client.get(f"/certificates/{certificate.pk}/{path}").status_code == 404
    # Someone else can't flip it back.
    client.force_login(UserFactory())
    assert client.post(f"/certificates/{certificate.pk}/visibility/", {"public": "1"}).status_code == 404
    certificate.refresh_from_db()
    assert not certificate.is_public


def test_admin_revokes_and_it_is_audited(client, admin_user, certificate):
    client.force_login(admin_user)
    response = client.post(
        "/admin/certificates/certificate/", {"action": "revoke", "_selected_action": [certificate.pk]}
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    entry = LogEntry.objects.get(object_id=certificate.pk)
    assert (entry.user_id, entry.action_flag, entry.change_message) == (admin_user.pk, CHANGE, "Revoked.")
    client.logout()
    page = client.get(f"/certificates/{certificate.pk}/")
    assert page.status_code == 410 and "not valid" in page.content.decode()
    assert "Grace Hopper" not in page.content.decode()
    assert client.get(f"/certificates/{certificate.pk}/certificate.pdf").status_code == 410


def test_the_dashboard_shows_the_certificate_notes_and_open_questions(client, certificate, course, ask):
    from notes.models import Note

    user = certificate.user
    Note.objects.create(user=user, lesson=course["free_lesson"], body="Dashboard note", position_seconds=61)
    ask(user, course["free_lesson"], "Still open?")
    client.force_login(user)
    page = client.get("/dashboard/").content.decode()
    assert f"/certificates/{certificate.pk}/" in page
    assert "Dashboard note" in page and "01:01" in page and "All your notes (1)" in page
    assert "Still open?" in page


def test_deleting_the_account_deletes_the_certificate(certificate):
    from accounts.services import user_delete

    user_delete(user=certificate.user)
    with pytest.raises(ObjectDoesNotExist):
        Certificate.objects.get(pk=certificate.pk)


def test_the_public_page_opens_for_a_signed_in_visitor_who_has_not_finished_onboarding(client, certificate):
    client.force_login(UserFactory(onboarding_complete=False))
    assert client.get(f"/certificates/{certificate.pk}/").status_code == 200
