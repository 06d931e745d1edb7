"""One journey in Debian's Chromium: an admin invites a colleague from /team/; the colleague opens the
emailed link signed out, creates an account, onboards, joins, and lands in the course; the admin sees them."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from billing.selectors import has_access
from emails.drain import email_queue_drain
from teams.models import TeamMembership
from tests.accounts.conftest import STRONG_PASSWORD
from tests.conftest import browser_sign_in
from tests.teams.factories import team_with_seats

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invite_sign_up_and_join_from_the_emailed_link(browser_page, live_server, course):
    data = team_with_seats(seats=3)
    page = browser_page
    browser_sign_in(page, live_server, data["admin"])
    page.goto("/team/")
    page.get_by_label("Email addresses").fill("colleague@example.com")
    page.get_by_role("button", name="Send invitations").click()
    page.wait_for_url("**/team/")
    assert page.locator('[data-invitation="colleague@example.com"]').is_visible()
    assert "2 of 3 seats used" in page.get_by_test_id("seats").inner_text()

    email_queue_drain(max_batches=1)
    (message,) = mail.outbox
    path = re.search(r"/team/invitations/[^/\s]+/", message.body).group(0)

    # The colleague, in a browser of their own, signed out.
    guest = page.context.browser.new_context(base_url=live_server.url).new_page()
    guest.set_default_timeout(10_000)
    guest.goto(path)
    assert guest.get_by_role("heading", name=f"Join {data['team'].name}").is_visible()
    guest.get_by_role("link", name="Create an account").click()
    guest.get_by_label("Email").fill("colleague@example.com")
    guest.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    guest.get_by_label("Password (again)").fill(STRONG_PASSWORD)
    guest.get_by_role("button", name="Create account").click()
    guest.wait_for_url("**/onboarding/**")
    guest.get_by_label("Tech team").check()
    guest.get_by_label("Intermediate").check()
    guest.get_by_label("What do you want to build?").fill("Our team's internal tools.")
    guest.get_by_role("button", name="Start learning").click()
    guest.wait_for_url(f"**{path}")
    guest.get_by_role("button", name=f"Join {data['team'].name}").click()
    guest.wait_for_url("**/course/")
    assert guest.get_by_text(f"Welcome to {data['team'].name}!").is_visible()

    member = TeamMembership.objects.select_related("user").get(user__email="colleague@example.com")
    assert member.team == data["team"] and has_access(member.user)
    guest.goto(path)  # the link is spent
    assert guest.get_by_role("heading", name="This invitation has already been used").is_visible()
    guest.context.close()

    page.goto("/team/")
    assert page.locator('[data-member="colleague@example.com"]').is_visible()
    assert "2 of 3 seats used" in page.get_by_test_id("seats").inner_text()
