"""The landing page's words come from the site content the admin edits (pages app)."""

from __future__ import annotations

import pytest

from pages.models import FaqItem, SiteContent
from pages.selectors import landing_content
from pages.services import site_content_demo_load

pytestmark = pytest.mark.django_db


def test_landing_shows_the_default_words_before_an_admin_wrote_any(client, course):
    page = client.get("/").content.decode()
    for heading in ("About the course", "What you'll learn", "Your instructor", "What learners say"):
        assert heading in page
    assert "Maya Okafor" in page and "Questions, answered" in page
    assert not SiteContent.objects.exists()  # nothing was written by a page view


def test_an_admin_edit_shows_on_the_next_visit_and_the_warm_page_reads_no_content_query(
    admin_client, client, course, django_assert_num_queries, django_capture_on_commit_callbacks
):
    content = site_content_demo_load()
    client.get("/")  # warms the cache
    with django_assert_num_queries(0):
        landing_content()

    change_url = f"/admin/pages/sitecontent/{content.pk}/change/"
    form = {
        "headline": "Ship your first SaaS",
        "tagline": "Eight weeks, one product.",
        "description": "For people who finish things.\n\nSecond paragraph.",
        "learn_points": "Deploy on day one\nCharge real money",
        "instructor_name": "Ada Lovelace",
        "instructor_role": "Analyst",
        "instructor_bio": "Wrote the first program.",
        "testimonials-TOTAL_FORMS": "0",
        "testimonials-INITIAL_FORMS": "0",
        "faq_items-TOTAL_FORMS": "1",
        "faq_items-INITIAL_FORMS": "0",
        "faq_items-0-position": "0",
        "faq_items-0-question": "Is there a certificate?",
        "faq_items-0-answer": "Yes, at the end.",
    }
    # The existing inline rows are kept: post them back unchanged.
    for index, row in enumerate(content.testimonials.all()):
        form.update(
            {
                f"testimonials-{index}-id": row.pk,
                f"testimonials-{index}-site_content": content.pk,
                f"testimonials-{index}-position": row.position,
                f"testimonials-{index}-quote": row.quote,
                f"testimonials-{index}-author": row.author,
                f"testimonials-{index}-author_role": row.author_role,
            }
        )
    form["testimonials-TOTAL_FORMS"] = form["testimonials-INITIAL_FORMS"] = str(content.testimonials.count())
    form["faq_items-INITIAL_FORMS"] = "0"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]

    page = client.get("/").content.decode()
    assert "Ship your first SaaS" in page and "Ada Lovelace" in page and "Is there a certificate?" in page
    assert "<li" in page and "Charge real money" in page
    assert FaqItem.objects.filter(question="Is there a certificate?").exists()


def test_there_is_one_site_content_row_and_it_cannot_be_deleted(admin_client):
    site_content_demo_load()
    site_content_demo_load()  # idempotent
    assert SiteContent.objects.count() == 1
    assert admin_client.get("/admin/pages/sitecontent/add/").status_code == 403
    content = SiteContent.objects.get()
    assert admin_client.get(f"/admin/pages/sitecontent/{content.pk}/delete/").status_code == 403
