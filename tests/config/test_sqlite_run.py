"""`make run`'s default database is SQLite: the demo, as a visitor and as the demo member, works on it
(the suite otherwise runs on PostgreSQL, where some queries take PostgreSQL-only shapes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
from django.test import Client
from django.test.utils import setup_test_environment
from accounts.models import User
from courses.models import Lesson
from emails.guards import recipients
from progress.models import LessonProgress

setup_test_environment()
member = User.objects.get(email="member@syllabus.local")
lesson = Lesson.objects.filter(published=True).order_by("module__order", "order")[1]
LessonProgress.objects.update_or_create(user=member, lesson=lesson, defaults={"completed": True})
client = Client()
assert client.post("/accounts/login/", {"login": member.email, "password": "syllabus-demo-member"}).status_code == 302
for url in ["/", "/course/", "/dashboard/", "/account/", "/notes/", "/search/?q=lesson", lesson.get_absolute_url()]:
    status = client.get(url).status_code
    assert status == 200, (url, status)
assert lesson.pk in recipients([member.pk], with_progress=True)[member.pk].completed_lesson_ids
print("sqlite ok")
"""


def test_the_demo_works_on_sqlite(tmp_path: Path) -> None:
    keep = ("PATH", "HOME", "LANG", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_URL": f"file://{tmp_path / 'mail'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    for args in (["migrate", "--noinput"], ["seed_demo"], ["shell", "-c", CHECK]):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{args[0]}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    assert "sqlite ok" in result.stdout
