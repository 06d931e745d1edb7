import re
from email import message_from_bytes

import pytest
from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.urls import resolve

from emails.models import ADDRESSED_TEMPLATES, MARKETING_TEMPLATES, EmailTemplate
from emails.rendering import SAMPLE_DATA, _template, email_context, email_render
from emails.tokens import unsubscribe_token_for
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]+)"')
URL = re.compile(r"https?://\S+")


@pytest.mark.parametrize("template", EmailTemplate.values)
def test_every_template_renders_subject_text_and_html_with_working_absolute_links(template, course):
    user = UserFactory(name="Ada O'Brien")
    rendered = email_render(template=template, user=user, data=SAMPLE_DATA[template], message_key="row1")

    # An addressed template (TEAM_INVITE) goes to the address in its data, not to the row's user.
    assert rendered.to == (SAMPLE_DATA[template]["to"] if template in ADDRESSED_TEMPLATES else user.email)
    assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "{{" not in part and "{%" not in part
    # Plain text is not HTML-escaped; the HTML part is.
    assert "&#x27;" not in rendered.text and "&#x27;" not in rendered.subject
    assert "Syllabus" in rendered.text and "Syllabus" in rendered.html
    assert "<html" in rendered.html and "<html" not in rendered.text

    links = set(HREF.findall(rendered.html)) | set(URL.findall(rendered.text))
    assert links
    for link in links:
        assert link.startswith(settings.SITE_URL + "/"), link
        resolve(link.removeprefix(settings.SITE_URL))  # every link reaches a page of the site

    # Every link in the text part is also in the HTML part (same message, two renderings).
    assert set(URL.findall(rendered.text)) <= set(HREF.findall(rendered.html)) | set(
        URL.findall(re.sub(r"<[^>]+>", " ", rendered.html))
    )


@pytest.mark.parametrize("template", sorted(MARKETING_TEMPLATES))
def test_marketing_mail_carries_rfc8058_one_click_headers_and_a_footer_link(template, course):
    user = UserFactory()
    rendered = email_render(template=template, user=user, data=SAMPLE_DATA[template])
    url = f"{settings.SITE_URL}/emails/unsubscribe/{unsubscribe_token_for(user.pk)}/"
    assert rendered.headers["List-Unsubscribe"] == f"<{url}>"
    assert rendered.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in rendered.text and url in rendered.html


@pytest.mark.parametrize("template", sorted(set(EmailTemplate.values) - MARKETING_TEMPLATES))
def test_transactional_mail_has_no_unsubscribe_headers(template, course):
    rendered = email_render(template=template, user=UserFactory(), data=SAMPLE_DATA[template])
    assert "List-Unsubscribe" not in rendered.headers
    assert "/emails/unsubscribe/" not in rendered.text + rendered.html
    # An invitee may have no account: their footer says why they got it instead.
    assert ("You received this because" if template in ADDRESSED_TEMPLATES else "service email") in rendered.text


def test_the_mime_message_has_both_parts_headers_and_a_stable_message_id(course):
    user = UserFactory()
    rendered = email_render(template=EmailTemplate.START_JOURNEY, user=user, message_key="q123")
    raw = message_from_bytes(rendered.message().message().as_bytes())
    assert raw.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in raw.get_payload()] == ["text/plain", "text/html"]
    assert raw["Message-ID"] == "<q123@testserver>"
    assert raw["To"] == user.email
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert raw["X-Syllabus-Template"] == "START_JOURNEY"


def test_module_complete_names_the_module_and_the_next_lesson(course):
    user = UserFactory()
    rendered = email_render(
        template=EmailTemplate.MODULE_COMPLETE,
        user=user,
        data={"module_id": course["modules"][0].pk, "module_title": "Foundations & Setup"},
    )
    first = course["lessons"][0]
    assert rendered.subject == "You completed Foundations & Setup!"
    assert "Foundations &amp; Setup" in rendered.html
    assert f"{settings.SITE_URL}/lessons/{first.pk}/" in rendered.text


def test_renewal_reminder_shows_the_date_plan_and_amount():
    rendered = email_render(
        template=EmailTemplate.RENEWAL_REMINDER,
        user=UserFactory(),
        data={"period_end": "2026-03-04T00:00:00+00:00", "plan": "ANNUAL"},
    )
    assert rendered.subject == "Your Syllabus membership renews on March 4"
    assert "$399" in rendered.text and "March 4, 2026" in rendered.text and "annual" in rendered.text


def test_welcome_points_at_the_free_lesson(course):
    rendered = email_render(template=EmailTemplate.WELCOME, user=UserFactory())
    assert f"{settings.SITE_URL}/lessons/{course['free_lesson'].pk}/" in rendered.html


def test_unknown_template_is_refused():
    with pytest.raises(ValueError, match="Unknown email template"):
        email_render(template="NOPE", user=UserFactory())


@pytest.mark.parametrize("template", EmailTemplate.values)
@pytest.mark.parametrize("name", ["", "Ada O'Brien <b>"])
def test_flattened_templates_render_exactly_what_djangos_block_machinery_renders(template, name, course):
    """The drain renders each part from its `{% extends %}` chain resolved once (`_flatten`); the output
    must be byte for byte what the engine's own rendering of the same template gives."""
    user = UserFactory(name=name)
    context = email_context(template=template, user=user, data=SAMPLE_DATA[template])
    for part in ("subject.txt", "body.txt", "body.html"):
        path = f"emails/{template.lower()}/{part}"
        own = get_template(path).template
        flat = _template(path)
        assert flat is not own or part == "subject.txt"  # the bodies extend the base layouts: flattened
        for autoescape in (False, True):
            expected = own.render(Context(context, autoescape=autoescape))
            assert flat.render(Context(context, autoescape=autoescape)) == expected
        assert _template(path) is flat  # made once
        assert get_template(path).template is own  # the engine's cached template is left as it was


def test_the_worker_warm_up_loads_every_part_flattened_without_a_query(monkeypatch, django_assert_num_queries):
    """`email_templates_warm` (run by every Celery worker before its first task) leaves each template's
    three parts flattened and cached, so the first drain renders from them; it reads no database."""
    from emails import rendering

    monkeypatch.setattr(rendering, "_FLAT", {})
    with django_assert_num_queries(0):
        rendering.email_templates_warm()
    names = {f"emails/{template.lower()}/{part}" for template in EmailTemplate.values for part in rendering.EMAIL_PARTS}
    assert set(rendering._FLAT) == names
    for name in names:
        own, flat = rendering._FLAT[name]
        assert own is get_template(name).template  # keyed to the engine's cached template: a reload still shows
        assert _template(name) is flat
