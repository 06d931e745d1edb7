import pytest
from django.core.management import call_command

from accounts.models import User, UserRole
from courses.models import Asset, Lesson, Module

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_admin_and_course_and_is_idempotent(settings, capsys, client):
    settings.DEBUG = True
    call_command("seed_demo")
    first = (Module.objects.count(), Lesson.objects.count(), Asset.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Module.objects.count(), Lesson.objects.count(), Asset.objects.count(), User.objects.count()) == first

    modules, lessons, assets, users = first
    assert modules >= 3 and lessons >= 10 and assets >= modules and users == 1
    free = Lesson.objects.filter(is_free=True)
    assert list(free.values_list("module__order", "order")) == [(1, 1)]
    assert all(lesson.content["type"] == "doc" for lesson in Lesson.objects.all())

    admin = User.objects.get()
    assert admin.role == UserRole.ADMIN and admin.is_staff

    out = capsys.readouterr().out
    assert "admin@syllabus.local / syllabus-demo-admin" in out
    assert client.login(email="admin@syllabus.local", password="syllabus-demo-admin")
    assert client.get("/admin/courses/module/").status_code == 200


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
