"""Lesson file downloads: access check, then a presigned S3 URL (moto's S3 server) or a streamed local file."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.core.files.base import ContentFile

from billing.models import SubscriptionStatus
from courses.models import Asset
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import AssetFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

BODY = b"# Schema worksheet\n\n- [ ] tables\n- [ ] relations\n"


def url_for(asset: Asset) -> str:
    return f"/assets/{asset.pk}/download/"


@pytest.fixture
def paid_asset(course) -> Asset:
    return AssetFactory(
        lesson=course["lessons"][1],
        title="Schema worksheet",
        file_name="schema worksheet.md",
        file=ContentFile(BODY, name="schema-worksheet.md"),
        file_size=len(BODY),
        mime_type="text/markdown",
    )


# --- Local storage: streamed ------------------------------------------------------------------------


def test_member_downloads_the_file_as_an_attachment(client, paid_asset, subscriber):
    client.force_login(subscriber)
    response = client.get(url_for(paid_asset))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY
    assert response["Content-Type"] == "text/markdown"
    assert response["Content-Disposition"] == 'attachment; filename="schema worksheet.md"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_free_lesson_files_need_only_an_account(client, course, user):
    asset = AssetFactory(lesson=course["free_lesson"])
    client.force_login(user)
    response = client.get(url_for(asset))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"# Worksheet\n"


def test_anonymous_download_is_sent_to_login(client, paid_asset):
    response = client.get(url_for(paid_asset))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url_for(paid_asset)}"


def test_download_without_a_subscription_is_403(client, paid_asset, user):
    client.force_login(user)
    response = client.get(url_for(paid_asset))
    assert response.status_code == 403
    assert BODY not in response.content
    assert b"/pricing/" in response.content


def test_a_lapsed_subscription_refuses_the_next_download(client, paid_asset):
    subscription = SubscriptionFactory()
    client.force_login(subscription.user)
    assert client.get(url_for(paid_asset)).status_code == 200

    subscription.status = SubscriptionStatus.CANCELLED
    subscription.save()
    assert client.get(url_for(paid_asset)).status_code == 403


def test_unknown_asset_is_404(client, subscriber):
    client.force_login(subscriber)
    assert client.get("/assets/nosuchasset0000000000000/download/").status_code == 404


def test_asset_of_an_unpublished_lesson_is_404_to_learners(client, subscriber, admin_user):
    asset = AssetFactory(lesson=LessonFactory(module=ModuleFactory(), published=False))
    client.force_login(subscriber)
    assert client.get(url_for(asset)).status_code == 404
    client.force_login(admin_user)
    assert client.get(url_for(asset)).status_code == 200


def test_a_file_missing_from_storage_is_404_not_500(client, paid_asset, subscriber):
    paid_asset.file.storage.delete(paid_asset.file.name)
    client.force_login(subscriber)
    assert client.get(url_for(paid_asset)).status_code == 404


def test_download_answers_only_get(client, paid_asset, subscriber):
    client.force_login(subscriber)
    assert client.post(url_for(paid_asset)).status_code == 405


# --- S3: moto's S3 server, presigned URLs ---------------------------------------------------------------


def test_s3_download_redirects_to_a_presigned_url_valid_at_most_five_minutes(client, course, subscriber, s3):
    asset = AssetFactory(
        lesson=course["lessons"][1],
        file_name="schema worksheet.md",
        file=ContentFile(BODY, name="schema-worksheet.md"),
        mime_type="text/markdown",
    )
    # The file really is in the bucket, under its storage key, and the bucket is not public.
    stored = s3.client.get_object(Bucket=s3.bucket, Key=asset.file.name)
    assert stored["Body"].read() == BODY
    assert requests.get(f"{s3.endpoint}/{s3.bucket}/{asset.file.name}", timeout=10).status_code == 403

    client.force_login(subscriber)
    response = client.get(url_for(asset))
    assert response.status_code == 302
    location = response["Location"]
    parsed = urlparse(location)
    assert f"{parsed.scheme}://{parsed.netloc}" == s3.endpoint
    query = parse_qs(parsed.query)
    assert 0 < int(query["X-Amz-Expires"][0]) <= 300
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "no-store" in response["Cache-Control"]

    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == BODY
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="schema worksheet.md"'
    assert fetched.headers["Content-Type"] == "text/markdown"


def test_s3_presigned_url_stays_within_five_minutes_even_if_settings_ask_for_more(
    client, course, subscriber, s3, settings
):
    settings.AWS_QUERYSTRING_EXPIRE = 3600
    asset = AssetFactory(lesson=course["lessons"][1], file=ContentFile(BODY, name="w.md"))
    client.force_login(subscriber)
    location = client.get(url_for(asset))["Location"]
    assert int(parse_qs(urlparse(location).query)["X-Amz-Expires"][0]) == 300


def test_s3_download_refused_for_a_lapsed_subscription(client, course, s3):
    subscription = SubscriptionFactory()
    asset = AssetFactory(lesson=course["lessons"][1], file=ContentFile(BODY, name="w.md"))
    client.force_login(subscription.user)
    assert client.get(url_for(asset)).status_code == 302

    subscription.status = SubscriptionStatus.CANCELLED
    subscription.save()
    response = client.get(url_for(asset))
    assert response.status_code == 403
    assert "Location" not in response and b"X-Amz-Signature" not in response.content
