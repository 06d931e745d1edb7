"""Ask → answer → email, in Chromium against the live server."""

import pytest

from qa.models import Post
from tests.billing.factories import SubscriptionFactory
from tests.conftest import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_asks_staff_answers_and_the_asker_is_emailed(
    browser_page, live_server, course, admin_user, mailoutbox
):
    page = browser_page
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    lesson = course["lessons"][1]
    asker = SubscriptionFactory(user__name="Ada Asker").user

    browser_sign_in(page, live_server, asker)
    page.goto(f"/lessons/{lesson.pk}/")
    page.get_by_label("Ask a question about this lesson").fill(
        "Why does **resume** skip the intro? <script>window.pwned=1</script>"
    )
    page.get_by_role("button", name="Post question").click()
    question = page.locator("[data-question]").first
    question.wait_for()
    assert "resume" in question.locator("strong", has_text="resume").inner_text()
    assert page.evaluate("window.pwned") is None  # the script arrived as text
    assert "<script>window.pwned=1</script>" in question.inner_text()

    page.context.clear_cookies()
    browser_sign_in(page, live_server, admin_user)
    page.goto(f"/lessons/{lesson.pk}/")
    page.locator("[data-question] summary", has_text="Answer").click()
    page.locator("[data-question] textarea").fill("It skips the intro on purpose: see `RESUME_TAIL_SECONDS`.")
    page.get_by_role("button", name="Post answer").click()
    page.locator("[data-staff-answer]").wait_for()
    assert page.locator("[data-answer] code").inner_text() == "RESUME_TAIL_SECONDS"

    post = Post.objects.get(question__isnull=False)
    assert post.by_staff
    [mail] = [m for m in mailoutbox if m.extra_headers.get("X-Syllabus-Template") == "QA_REPLY"]
    assert mail.to == [asker.email] and "(course team)" in mail.body and "RESUME_TAIL_SECONDS" in mail.body

    page.context.clear_cookies()
    browser_sign_in(page, live_server, asker)
    page.goto(f"/lessons/{lesson.pk}/")
    page.get_by_role("button", name="Mark answered").click()
    page.locator("[data-answered]").wait_for()
    page.goto("/dashboard/")
    assert "No open questions" in page.locator("[data-dashboard-questions]").inner_text()
