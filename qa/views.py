"""Lesson Q&A endpoints: ask, answer, edit, delete, mark answered. Plain form posts that redirect back
to the thread on the lesson page (the thread itself is rendered there, templates/qa/_thread.html).

Every endpoint goes through `lesson_access` for the post's lesson first: anything short of WATCH
reads and writes nothing, and a locked lesson's thread is never shown.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from config.community import lesson_denial, post_rate_exceeded, refusal
from courses.selectors import lesson_get
from qa.models import Post
from qa.selectors import post_get
from qa.services import (
    PostInvalid,
    answer_post,
    post_can_edit,
    post_delete,
    post_edit,
    question_answered_set,
    question_ask,
)


def _thread_url(post: Post) -> str:
    anchor = post.pk if post.question_id is None else post.question_id
    return reverse("courses:lesson", args=[post.lesson_id]) + f"#question-{anchor}"


def _rate_refusal(request: HttpRequest, lesson: object, text: str) -> HttpResponse | None:
    if post_rate_exceeded(request, group="qa:post", rate_setting="QA_POST_RATE"):
        return refusal(
            request, "You're posting very fast; wait a few minutes and try again.", status=429, lesson=lesson, text=text
        )
    return None


@require_POST
@login_required
def question_ask_view(request: HttpRequest, lesson_id: str) -> HttpResponse:
    lesson = lesson_get(lesson_id)
    body = request.POST.get("body", "")
    denial = lesson_denial(request, lesson, text=body) or _rate_refusal(request, lesson, body)
    if denial is not None:
        return denial
    try:
        question = question_ask(user=request.user, lesson=lesson, body=body)  # type: ignore[arg-type]
    except PostInvalid as exc:
        return refusal(request, str(exc), status=400, lesson=lesson, text=body)
    return HttpResponseRedirect(_thread_url(question))


def _post_or_denial(request: HttpRequest, post_id: str, *, text: str = "") -> Post | HttpResponse:
    post = post_get(post_id)
    if post is None or post.is_hidden:
        raise Http404("No such post.")
    denial = lesson_denial(request, post.lesson, text=text)
    return denial if denial is not None else post


@require_POST
@login_required
def answer_post_view(request: HttpRequest, post_id: str) -> HttpResponse:
    body = request.POST.get("body", "")
    question = _post_or_denial(request, post_id, text=body)
    if isinstance(question, HttpResponse):
        return question
    denial = _rate_refusal(request, question.lesson, body)
    if denial is not None:
        return denial
    try:
        answer = answer_post(user=request.user, question=question, body=body)  # type: ignore[arg-type]
    except PostInvalid as exc:
        return refusal(request, str(exc), status=400, lesson=question.lesson, text=body)
    return HttpResponseRedirect(_thread_url(answer))


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def post_edit_view(request: HttpRequest, post_id: str) -> HttpResponse:
    body = request.POST.get("body", "")
    post = _post_or_denial(request, post_id, text=body)
    if isinstance(post, HttpResponse):
        return post
    if post.author_id != request.user.pk:
        raise Http404("No such post.")
    if request.method == "GET":
        if not post_can_edit(user=request.user, post=post):  # type: ignore[arg-type]
            return refusal(request, "Posts can be edited for 15 minutes after posting.", status=403, lesson=post.lesson)
        return render(request, "qa/edit.html", {"post": post, "lesson": post.lesson})
    try:
        post_edit(user=request.user, post=post, body=body)  # type: ignore[arg-type]
    except PostInvalid as exc:
        return refusal(request, str(exc), status=400, lesson=post.lesson, text=body)
    return HttpResponseRedirect(_thread_url(post))


@require_POST
@login_required
def post_delete_view(request: HttpRequest, post_id: str) -> HttpResponse:
    post = _post_or_denial(request, post_id)
    if isinstance(post, HttpResponse):
        return post
    try:
        post_delete(user=request.user, post=post)  # type: ignore[arg-type]
    except PermissionDenied:
        raise Http404("No such post.") from None
    target = reverse("courses:lesson", args=[post.lesson_id]) + "#questions"
    if post.question_id:
        target = reverse("courses:lesson", args=[post.lesson_id]) + f"#question-{post.question_id}"
    return HttpResponseRedirect(target)


@require_POST
@login_required
def question_answered_view(request: HttpRequest, post_id: str) -> HttpResponse:
    question = _post_or_denial(request, post_id)
    if isinstance(question, HttpResponse):
        return question
    answered = request.POST.get("answered")
    if answered not in {"0", "1"}:
        return refusal(
            request, "Say whether the question is answered (1) or open (0).", status=400, lesson=question.lesson
        )
    try:
        question_answered_set(user=request.user, question=question, answered=answered == "1")  # type: ignore[arg-type]
    except PostInvalid as exc:
        return refusal(request, str(exc), status=400, lesson=question.lesson)
    except PermissionDenied as exc:
        return refusal(request, str(exc), status=403, lesson=question.lesson)
    return HttpResponseRedirect(_thread_url(question))
