import json

import pytest
from django.core.management import call_command

from accounts.models import User, UserRole
from analytics.models import Event
from billing.models import Subscription
from billing.selectors import has_access
from courses.demo import DEMO_VIDEOS
from courses.models import Asset, Lesson, Module
from emails.models import EmailQueue

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_admin_and_course_and_is_idempotent(settings, capsys, client):
    settings.DEBUG = True
    call_command("seed_demo")
    first = (Module.objects.count(), Lesson.objects.count(), Asset.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Module.objects.count(), Lesson.objects.count(), Asset.objects.count(), User.objects.count()) == first

    modules, lessons, assets, users = first
    assert modules >= 3 and lessons >= 10 and assets >= modules and users == 2
    free = Lesson.objects.filter(is_free=True)
    assert list(free.values_list("module__order", "order")) == [(1, 1)]
    assert all(lesson.content["type"] == "doc" for lesson in Lesson.objects.all())
    # Every lesson has its own notes, and several have a (public test) video.
    bodies = [json.dumps(lesson.content) for lesson in Lesson.objects.all()]
    assert len(set(bodies)) == len(bodies)
    assert Lesson.objects.exclude(mux_playback_id=None).count() >= 3

    admin = User.objects.get(role=UserRole.ADMIN)
    assert admin.is_staff
    member = User.objects.get(email="member@syllabus.local")
    assert member.role == UserRole.USER and not member.is_staff and member.onboarding_complete
    # The member's subscription is the row the checkout webhooks leave: active, monthly, with its renewal email.
    subscription = Subscription.objects.get(user=member)
    assert (subscription.status, subscription.stripe_status, subscription.plan) == ("ACTIVE", "active", "MONTHLY")
    assert has_access(member)
    assert EmailQueue.objects.filter(user_id=member.pk, template="RENEWAL_REMINDER").count() == 1
    assert Event.objects.filter(user=member, event="subscription_started").count() == 1

    out = capsys.readouterr().out
    assert "admin@syllabus.local / syllabus-demo-admin" in out
    assert "member@syllabus.local / syllabus-demo-member" in out
    assert client.login(email="admin@syllabus.local", password="syllabus-demo-admin")
    assert client.get("/admin/courses/module/").status_code == 200
    client.logout()
    settings.MUX_DEMO_PLAYBACK_IDS = frozenset(DEMO_VIDEOS.values())  # as config.settings.local lists them
    assert client.login(email="member@syllabus.local", password="syllabus-demo-member")
    paid = Lesson.objects.get(module__order=2, order=1)
    page = client.get(f"/lessons/{paid.pk}/").content.decode()
    assert "<mux-player" in page and "data-paywall" not in page


def test_seed_demo_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_demo_free_lesson_has_a_searchable_transcript(db, subscriber):
    from courses.services import demo_course_load
    from search.selectors import search_lessons

    demo_course_load()
    demo_course_load()  # idempotent: still one transcript
    results = search_lessons(user=subscriber, raw_query="lifecycle emails")
    hit = next(hit for hit in results.hits if hit.title == "Welcome: what you will build")
    assert hit.cue_start == 19


def test_the_run_summary_box_names_both_logins():
    from courses.management.commands.run_summary import summary_box

    box = summary_box("http://127.0.0.1:8000", worker_ready=True).splitlines()
    assert len({len(line) for line in box}) == 1  # a closed box: every line the same width
    text = "\n".join(box)
    assert (
        "admin@syllabus.local / syllabus-demo-admin" in text and "member@syllabus.local / syllabus-demo-member" in text
    )
    assert "http://127.0.0.1:8000/dashboard/" in text and ".run/mail/" in text
