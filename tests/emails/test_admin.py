from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone
from django.utils.html import escape

from emails.drain import email_queue_drain
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailSuppression, EmailTemplate, SuppressionReason
from tests.accounts.factories import UserFactory
from tests.emails.conftest import queue

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/emails/emailqueue/"


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def act(client, action, rows):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [r.pk for r in rows], "index": 0}, follow=True
    )


def test_queue_changelist_with_every_filter(staff_client):
    user = UserFactory()
    queue(user, EmailTemplate.WELCOME)
    queue(user, EmailTemplate.START_JOURNEY, at=timezone.now() + timedelta(days=1))
    for query in [
        "",
        "?status__exact=PENDING",
        "?due=now",
        "?due=later",
        "?due=retrying",
        "?due=leased",
        "?kind=marketing",
        "?kind=transactional",
        "?template__exact=WELCOME",
        f"?q={user.pk}",
    ]:
        response = staff_client.get(CHANGELIST + query)
        assert response.status_code == 200, query
    assert "Preview templates" in staff_client.get(CHANGELIST).content.decode()
    marketing = staff_client.get(CHANGELIST + "?kind=marketing").context["cl"].result_list
    assert [r.template for r in marketing] == [EmailTemplate.START_JOURNEY]
    due_now = staff_client.get(CHANGELIST + "?due=now").context["cl"].result_list
    assert [r.template for r in due_now] == [EmailTemplate.WELCOME]
    queue(UserFactory(), EmailTemplate.WELCOME)
    by_user = staff_client.get(CHANGELIST + f"?q={user.pk}").context["cl"].result_list
    assert {r.user_id for r in by_user} == {user.pk} and len(by_user) == 2


def test_cancel_action_cancels_pending_rows_only(staff_client, admin_user):
    user = UserFactory()
    pending = queue(user, EmailTemplate.START_JOURNEY, at=timezone.now() + timedelta(days=1))
    sent = queue(user, EmailTemplate.WELCOME)
    email_queue_drain()

    response = act(staff_client, "cancel_selected", [pending, sent])

    assert "Cancelled 1 pending email(s)." in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.last_error) == (EmailStatus.CANCELLED, f"cancelled by {admin_user.email}")
    assert EmailQueue.objects.get(pk=sent.pk).status == EmailStatus.SENT


def test_send_now_action_sends_a_future_row_on_commit(staff_client, mailoutbox, django_capture_on_commit_callbacks):
    item = queue(UserFactory(), EmailTemplate.PAYMENT_FAILED_FINAL, at=timezone.now() + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "send_selected_now", [item])
    item.refresh_from_db()
    # Guards still apply: no PAST_DUE subscription, so the final notice is cancelled, not sent.
    assert (item.status, item.last_error) == (EmailStatus.CANCELLED, "subscription no longer past due")
    assert mailoutbox == []

    welcome = queue(UserFactory(), EmailTemplate.WELCOME, at=timezone.now() + timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "send_selected_now", [welcome])
    assert EmailQueue.objects.get(pk=welcome.pk).status == EmailStatus.SENT
    assert len(mailoutbox) == 1


def test_retry_action_requeues_a_failed_row_with_a_fresh_budget(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    item = queue(UserFactory(), EmailTemplate.WELCOME)
    EmailQueue.objects.filter(pk=item.pk).update(
        status=EmailStatus.FAILED, attempts=5, last_error="SMTP down", processed_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = act(staff_client, "retry_selected", [item])
    assert "Re-queued 1 email(s)" in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.attempts, item.last_error) == (EmailStatus.SENT, 1, "")
    assert len(mailoutbox) == 1


def test_queue_rows_cannot_be_added_edited_or_deleted_by_hand(staff_client):
    item = queue(UserFactory(), EmailTemplate.WELCOME)
    assert staff_client.get(CHANGELIST + "add/").status_code == 403
    assert staff_client.get(f"{CHANGELIST}{item.pk}/delete/").status_code == 403
    page = staff_client.get(f"{CHANGELIST}{item.pk}/change/")
    assert page.status_code == 200 and item.idempotency_key in page.content.decode()
    assert 'name="status"' not in page.content.decode()


def test_email_log_is_read_only(staff_client):
    queue(UserFactory(), EmailTemplate.WELCOME)
    email_queue_drain()
    log = EmailLog.objects.get()
    assert staff_client.get("/admin/emails/emaillog/").status_code == 200
    assert staff_client.get("/admin/emails/emaillog/add/").status_code == 403
    assert staff_client.get(f"/admin/emails/emaillog/{log.pk}/delete/").status_code == 403
    page = staff_client.get(f"/admin/emails/emaillog/{log.pk}/change/")
    assert page.status_code == 200 and 'name="subject"' not in page.content.decode()
    staff_client.post(f"/admin/emails/emaillog/{log.pk}/change/", {"subject": "changed"})
    assert EmailLog.objects.get().subject == log.subject


def test_admin_adds_and_removes_a_suppression(staff_client, mailoutbox):
    user = UserFactory(email="someone@example.com")
    response = staff_client.post(
        "/admin/emails/emailsuppression/add/",
        {"email": "  SomeOne@Example.com ", "reason": SuppressionReason.MANUAL, "detail": "asked by phone"},
    )
    assert response.status_code == 302
    suppression = EmailSuppression.objects.get()
    assert (suppression.email, suppression.reason) == ("someone@example.com", SuppressionReason.MANUAL)

    # The same address again (other spelling) is a form error, not a second row or a 500.
    again = staff_client.post(
        "/admin/emails/emailsuppression/add/", {"email": "SOMEONE@example.com", "reason": SuppressionReason.MANUAL}
    )
    assert again.status_code == 200 and EmailSuppression.objects.count() == 1

    queue(user, EmailTemplate.WELCOME)
    assert email_queue_drain() == {EmailStatus.CANCELLED: 1}

    staff_client.post(f"/admin/emails/emailsuppression/{suppression.pk}/delete/", {"post": "yes"})
    assert not EmailSuppression.objects.exists()
    queue(user, EmailTemplate.PAYMENT_FAILED)
    assert email_queue_drain() == {EmailStatus.SENT: 1}


def _iframe_srcdoc(page: str) -> str | None:
    found: list[str | None] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "iframe":
                found.append(dict(attrs).get("srcdoc"))

    Parser().feed(page)
    assert len(found) == 1
    return found[0]


def test_preview_renders_every_template_for_staff(staff_client, course):
    index = staff_client.get("/admin/emails/emailqueue/preview/")
    assert index.status_code == 200
    for template in EmailTemplate:
        assert f"/admin/emails/emailqueue/preview/{template.value}/" in index.content.decode()
        page = staff_client.get(f"/admin/emails/emailqueue/preview/{template.value}/")
        assert page.status_code == 200
        rendered = page.context["rendered"]
        assert escape(rendered.subject) in page.content.decode()
        # The browser gets the whole email in the iframe, not a fragment cut at the first quote.
        assert _iframe_srcdoc(page.content.decode()) == rendered.html
    assert staff_client.get("/admin/emails/emailqueue/preview/NOPE/").status_code == 404


def test_preview_is_staff_only(client, user):
    assert client.get("/admin/emails/emailqueue/preview/WELCOME/").status_code == 302
    client.force_login(user)
    response = client.get("/admin/emails/emailqueue/preview/WELCOME/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_queue_shows_and_finds_the_recipient_address(staff_client):
    ada = UserFactory(email="ada@lovelace.example")
    grace = UserFactory(email="grace@hopper.example")
    queue(ada, EmailTemplate.WELCOME)
    queue(grace, EmailTemplate.WELCOME)
    gone = queue(UserFactory(email="gone@example.com"), EmailTemplate.WELCOME)
    from accounts.models import User

    User.objects.filter(pk=gone.user_id).delete()  # the row outlives its user (no constraint)

    page = staff_client.get(CHANGELIST).content.decode()
    assert "ada@lovelace.example" in page and "grace@hopper.example" in page
    assert f"(deleted user {gone.user_id})" in page

    found = staff_client.get(CHANGELIST, {"q": "lovelace"}).content.decode()
    assert "ada@lovelace.example" in found
    assert "grace@hopper.example" not in found


def test_email_log_is_searched_by_part_of_the_address(staff_client):
    ada = UserFactory(email="ada@lovelace.example")
    EmailLog.objects.create(user=ada, template=EmailTemplate.WELCOME, to=ada.email, subject="Hi", status="SENT")
    page = staff_client.get("/admin/emails/emaillog/", {"q": "lovelace"}).content.decode()
    assert "ada@lovelace.example" in page


def test_admin_index_lists_only_what_an_operator_needs(staff_client):
    page = staff_client.get("/admin/").content.decode()
    for hidden in (
        "/admin/sites/",
        "/admin/auth/group/",
        "/admin/socialaccount/socialtoken/",
        "/admin/socialaccount/socialapp/",
        "/admin/usersessions/",
    ):
        assert hidden not in page
    for shown in ("/admin/courses/lesson/", "/admin/emails/emailqueue/", "/admin/billing/subscription/"):
        assert shown in page
