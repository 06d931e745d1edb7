"""One real browser (Debian's Chromium through Playwright): sign up, onboard, land on the dashboard."""

import pytest

from accounts.models import User
from analytics.models import Event
from tests.accounts.conftest import STRONG_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_then_onboarding_then_the_dashboard(browser_page, course):
    page = browser_page
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Start free").click()

    page.get_by_label("Email").fill("browser.learner@example.com")
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Password (again)").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url("**/onboarding/")
    assert page.get_by_role("heading", name="Welcome to Syllabus").is_visible()
    page.get_by_label("Solo builder").check()
    page.get_by_label("Intermediate").check()
    page.get_by_label("What do you want to build?").fill("A small SaaS for invoicing.")
    with page.expect_response(lambda r: r.url.endswith("/dashboard/") and r.request.method == "GET") as landing:
        page.get_by_role("button", name="Start learning").click()

    page.wait_for_url("**/dashboard/")
    assert landing.value.status == 200
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").is_visible()  # signed in

    user = User.objects.get(email="browser.learner@example.com")
    assert user.onboarding_complete and user.user_type == "SOLO_BUILDER" and user.experience_level == "INTERMEDIATE"
    assert {"signup_completed", "login", "onboarding_completed"} <= set(
        Event.objects.filter(user=user).values_list("event", flat=True)
    )
