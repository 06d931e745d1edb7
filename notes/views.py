"""Notes: written beside a lesson's player, listed and searched on /notes/, exported as Markdown.

Writing a note on a lesson goes through `lesson_access` (WATCH only); a note is only ever read or
changed by its owner (any other id is a 404).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.community import lesson_denial, post_rate_exceeded, refusal, wants_json
from courses.selectors import lesson_get
from notes.exports import notes_markdown, timestamp
from notes.selectors import SEARCH_MAX_LENGTH, note_get, notes_by_module, user_notes
from notes.services import NoteInvalid, note_create, note_delete, note_update


def _note_json(note: object) -> dict[str, object]:
    return {
        "id": note.pk,  # type: ignore[attr-defined]
        "body": note.body,  # type: ignore[attr-defined]
        "position": note.position_seconds,  # type: ignore[attr-defined]
        "timestamp": timestamp(note.position_seconds),  # type: ignore[attr-defined]
    }


@require_POST
@login_required
def note_create_view(request: HttpRequest, lesson_id: str) -> HttpResponse:
    lesson = lesson_get(lesson_id)
    body = request.POST.get("body", "")
    denial = lesson_denial(request, lesson, text=body)
    if denial is not None:
        return denial
    assert lesson is not None
    if post_rate_exceeded(request, group="notes:write", rate_setting="NOTES_POST_RATE"):
        return refusal(
            request, "You're writing notes very fast; wait a few minutes.", status=429, lesson=lesson, text=body
        )
    try:
        note = note_create(user=request.user, lesson=lesson, body=body, position=request.POST.get("position"))  # type: ignore[arg-type]
    except NoteInvalid as exc:
        return refusal(request, str(exc), status=400, lesson=lesson, text=body)
    if wants_json(request):
        return JsonResponse(_note_json(note), status=201)
    return HttpResponseRedirect(reverse("courses:lesson", args=[lesson.pk]) + f"#note-{note.pk}")


def _own_note(request: HttpRequest, note_id: str):  # type: ignore[no-untyped-def]
    note = note_get(user=request.user, note_id=note_id)  # type: ignore[arg-type]
    if note is None:
        raise Http404("No such note.")
    return note


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


@require_POST
@login_required
def note_update_view(request: HttpRequest, note_id: str) -> HttpResponse:
    note = _own_note(request, note_id)
    body = request.POST.get("body", "")
    try:
        note_update(user=request.user, note=note, body=body)  # type: ignore[arg-type]
    except NoteInvalid as exc:
        return refusal(request, str(exc), status=400, lesson=note.lesson, text=body)
    if wants_json(request):
        return JsonResponse(_note_json(note))
    return _back(request, reverse("notes:list"))


@require_POST
@login_required
def note_delete_view(request: HttpRequest, note_id: str) -> HttpResponse:
    note = _own_note(request, note_id)
    note_delete(user=request.user, note=note)  # type: ignore[arg-type]
    if wants_json(request):
        return JsonResponse({"deleted": True})
    return _back(request, reverse("notes:list"))


def _search(request: HttpRequest) -> str:
    return " ".join(request.GET.get("q", "").replace("\x00", "").split())[:SEARCH_MAX_LENGTH]


@require_GET
@never_cache
@login_required
def notes_list(request: HttpRequest) -> HttpResponse:
    search = _search(request)
    notes = list(user_notes(user=request.user, search=search))  # type: ignore[arg-type]
    context = {"modules": notes_by_module(notes), "search": search, "total": len(notes)}
    return render(request, "notes/list.html", context)


@require_GET
@never_cache
@login_required
def notes_export(request: HttpRequest) -> HttpResponse:
    notes = user_notes(user=request.user, search=_search(request))  # type: ignore[arg-type]
    document = notes_markdown(notes=notes, title="My notes")
    response = HttpResponse(document, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-notes.md"'
    return response
