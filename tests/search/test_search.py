"""/search/: ranking on a small corpus, snippets, transcript hits with ?t=, the no-leak rule for locked
lessons, bad queries, the index kept current on save, constant query counts, and the SQLite fallback."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from courses import services as course_services
from search.models import LessonDocument
from search.selectors import search_lessons
from search.services import lessons_index
from tests.courses.factories import LessonFactory, ModuleFactory


def doc(*paragraphs: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs],
    }


@pytest.fixture
def corpus(db: None) -> dict[str, Any]:
    module = ModuleFactory(order=1, published=True, title="Shipping")
    other = ModuleFactory(order=2, published=True, title="Background work")
    lessons = {
        "title": LessonFactory(
            module=module, order=1, title="Database migrations", is_free=True, content=doc("Intro.")
        ),
        "body": LessonFactory(
            module=module, order=2, title="Deploys", content=doc("Run the migrations before the new code ships.")
        ),
        "transcript": LessonFactory(module=other, order=1, title="Celery", content=doc("Queues and workers.")),
        "unpublished": LessonFactory(module=other, order=2, title="Migrations draft", published=False),
        "secret": LessonFactory(
            module=other, order=3, title="Scaling", content=doc("The zeppelin strategy for migrations.")
        ),
    }
    course_services.lesson_transcript_store(
        lesson=lessons["transcript"],
        language="en",
        label="English",
        source="GENERATED",
        cues=[
            {"start": 1.0, "end": 4.0, "text": "Welcome back."},
            {"start": 95.5, "end": 99.0, "text": "Now the schema migrations run in a worker."},
            {"start": 120.0, "end": 124.0, "text": "More migrations later."},
        ],
    )
    lessons_index(lesson_ids=[lesson.pk for lesson in lessons.values()])
    return lessons


def test_title_hits_rank_above_body_hits_above_transcript_hits(client: Any, subscriber: Any, corpus: Any) -> None:
    results = search_lessons(user=subscriber, raw_query="migrations")
    titles = [hit.title for hit in results.hits]
    assert titles[:2] == ["Database migrations", "Deploys"]
    assert "Celery" in titles
    assert "Migrations draft" not in titles  # unpublished: learners never see it
    celery = next(hit for hit in results.hits if hit.title == "Celery")
    assert celery.cue_start == 95  # the first matching cue
    assert "<mark>migrations</mark>" in celery.cue_snippet
    deploys = next(hit for hit in results.hits if hit.title == "Deploys")
    assert "<mark>migrations</mark>" in deploys.snippet

    client.force_login(subscriber)
    page = client.get("/search/", {"q": "migrations"})
    assert page.status_code == 200
    assert f'href="/lessons/{corpus["transcript"].pk}/?t=95"' in page.content.decode()


def test_a_quoted_phrase_matches_words_said_together_and_links_to_that_cue(subscriber: Any, corpus: Any) -> None:
    hits = search_lessons(user=subscriber, raw_query='"schema migrations"').hits
    assert [(hit.title, hit.cue_start) for hit in hits] == [("Celery", 95)]
    assert "<mark>schema</mark> <mark>migrations</mark>" in hits[0].cue_snippet
    # Both words are said in that cue, but not one after the other: no phrase match.
    assert search_lessons(user=subscriber, raw_query='"migrations schema"').hits == []
    # A phrase in a body is matched there (positions of the lesson's own text).
    assert [hit.title for hit in search_lessons(user=subscriber, raw_query='"new code ships"').hits] == ["Deploys"]
    # Plain words match the transcript as a whole, wherever they are said.
    hits = search_lessons(user=subscriber, raw_query="welcome worker").hits
    assert [(hit.title, hit.cue_start) for hit in hits] == [("Celery", None)]  # no single cue has both


def test_an_exclusion_is_judged_on_what_the_user_may_read(user: Any, subscriber: Any, corpus: Any) -> None:
    # The paid lesson's title matches and its body holds the excluded word: a learner without access is
    # matched on the title alone (and sees no text); a member on the whole lesson.
    hits = search_lessons(user=user, raw_query="scaling -zeppelin").hits
    assert [(hit.title, hit.locked, hit.snippet) for hit in hits] == [("Scaling", True, "")]
    assert search_lessons(user=subscriber, raw_query="scaling -zeppelin").hits == []


def test_learner_without_access_sees_paid_lessons_by_title_and_module_only(client: Any, user: Any, corpus: Any) -> None:
    client.force_login(user)  # signed in, no subscription
    page = client.get("/search/", {"q": "migrations"}).content.decode()
    assert "Database migrations" in page  # the free lesson, in full
    assert "Deploys" not in page  # matched only in a paid body: not even listed
    assert "zeppelin" not in page
    assert "schema migrations run in a worker" not in page
    assert "?t=" not in page
    # A paid lesson whose title matches is listed, without any of its text.
    page = client.get("/search/", {"q": "scaling"}).content.decode()
    assert "Scaling" in page and "Members only" in page
    assert "zeppelin" not in page
    assert client.get("/search/", {"q": "zeppelin"}).content.decode().count("search-hit__title") == 0


def test_signed_out_visitors_get_titles_only(client: Any, corpus: Any) -> None:
    page = client.get("/search/", {"q": "migrations"}).content.decode()
    assert "Database migrations" in page
    assert "<mark>" not in page
    assert "Deploys" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or two"),
        ("   ", "Type a word or two"),
        ("x" * 201, "longer than 200 characters"),
        ("!!! & | <-> :* ( ) '\" -", "No lessons match"),
        ("the and of", "No lessons match"),  # stop words only
        ("migrations\x00; DROP TABLE x", "No lessons match"),
        ("\x00", "Type a word or two"),
    ],
)
def test_bad_queries_get_a_friendly_empty_state(
    client: Any, subscriber: Any, corpus: Any, query: str, message: str
) -> None:
    client.force_login(subscriber)
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_query_as_a_list_or_huge_is_not_a_500(client: Any, corpus: Any) -> None:
    assert client.get("/search/?q=a&q=b").status_code == 200
    assert client.get("/search/", {"q": "é" * 5000}).status_code == 200


def test_snippets_are_escaped(client: Any, subscriber: Any, db: None) -> None:
    lesson = LessonFactory(title="Templates", content=doc("Never trust <script>alert(1)</script> templates input."))
    lessons_index(lesson_ids=[lesson.pk])
    client.force_login(subscriber)
    page = client.get("/search/", {"q": "templates"}).content.decode()
    assert "<script>alert" not in page
    assert "<mark>templates</mark>" in page


def test_the_index_follows_an_admin_save(admin_client: Any, subscriber: Any, corpus: Any) -> None:
    import json

    lesson = corpus["body"]
    url = f"/admin/courses/lesson/{lesson.pk}/change/"
    data = {
        "module": lesson.module_id,
        "title": "Deploys",
        "order": lesson.order,
        "published": "on",
        "content": json.dumps(doc("Blue-green rollouts with a quokka.")),
        "captions_language": "en",
        "assets-TOTAL_FORMS": "0",
        "assets-INITIAL_FORMS": "0",
        "assets-MIN_NUM_FORMS": "0",
        "assets-MAX_NUM_FORMS": "1000",
        "transcripts-TOTAL_FORMS": "0",
        "transcripts-INITIAL_FORMS": "0",
        "transcripts-MIN_NUM_FORMS": "0",
        "transcripts-MAX_NUM_FORMS": "1000",
    }
    assert admin_client.post(url, data).status_code == 302
    assert [hit.title for hit in search_lessons(user=subscriber, raw_query="quokka").hits] == ["Deploys"]
    assert "Deploys" not in [hit.title for hit in search_lessons(user=subscriber, raw_query="code").hits]


def test_search_query_count_does_not_grow_with_the_corpus(
    subscriber: Any, corpus: Any, django_assert_num_queries: Any
) -> None:
    # One statement: the matching lessons, their ranks, body and cue headlines and first cues; has_access is
    # read once per request (the subscription is cached on the user).
    with django_assert_num_queries(1):
        search_lessons(user=subscriber, raw_query="migrations")
    module = ModuleFactory(order=3, published=True)
    extra = [
        LessonFactory(module=module, order=i, title=f"Migrations {i}", content=doc("migrations")) for i in range(20)
    ]
    lessons_index(lesson_ids=[lesson.pk for lesson in extra])
    with django_assert_num_queries(1):
        assert len(search_lessons(user=subscriber, raw_query="migrations").hits) == 20


def test_gin_indexes_exist(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%%USING gin%%'")
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "search_doc_title_gin",
        "search_doc_content_gin",
        "search_doc_transcript_gin",
        "search_cue_lesson_vector_gin",
    } <= names


def test_substring_fallback_keeps_the_no_leak_rule(user: Any, subscriber: Any, corpus: Any) -> None:
    from search import selectors

    assert [h.title for h in selectors._search_substring(subscriber, "zeppelin")] == ["Scaling"]
    assert selectors._search_substring(user, "zeppelin") == []
    hits = selectors._search_substring(subscriber, "schema migrations")
    assert [(h.title, h.cue_start) for h in hits] == [("Celery", 95)]
    assert "<mark>schema migrations</mark>" in hits[0].cue_snippet


def test_reindex_command_rebuilds_every_lesson(corpus: Any) -> None:
    from django.core.management import call_command

    LessonDocument.objects.all().delete()
    call_command("search_reindex")
    assert LessonDocument.objects.count() == 5
