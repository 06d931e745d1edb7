from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from analytics import charts
from analytics.beacon import MAX_BODY_BYTES, BeaconError, beacon_parse, beacon_rate_allow
from analytics.exports import dashboard_csv
from analytics.forms import DateRangeForm
from analytics.selectors import Dashboard, Window, dashboard
from analytics.services import event_track_for_request
from analytics.sessions import analytics_session_id
from billing.plans import plans_all


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 429:
        response["Retry-After"] = "60"
    return response


def _client_ip(request: HttpRequest) -> str:
    """The visitor's address as allauth's rate limits see it: behind ALLAUTH_TRUSTED_PROXY_COUNT
    proxies it is read from X-Forwarded-For, so every visitor does not share the proxy's address."""

    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # no address, or a forwarded chain shorter than configured
        return request.META.get("REMOTE_ADDR") or "unknown"


@require_POST
def beacon(request: HttpRequest) -> HttpResponse:
    """Browser events (the lesson player's video starts). CSRF-protected like every POST; anonymous
    visitors are recorded under their analytics session id. 204 when stored, 400/429 otherwise."""
    if not beacon_rate_allow(scope="ip", key=_client_ip(request)):
        return _error(429, "Too many events from this address; try again in a minute.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:  # refuse before reading it
        return _error(400, f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        event = beacon_parse(request.body)
    except BeaconError as exc:
        return _error(400, str(exc))
    if not beacon_rate_allow(scope="session", key=analytics_session_id(request)):
        return _error(429, "Too many events from this session; try again in a minute.")
    event_track_for_request(request=request, name=event.name, properties=event.properties)
    return HttpResponse(status=204)


def _window(request: HttpRequest) -> tuple[DateRangeForm, Window]:
    form = DateRangeForm(request.GET or None)
    window = form.window()
    if form.is_bound and not form.is_valid():
        messages.error(request, f"{form.error_text()} Showing the last 30 days instead.")
    return form, window


def _charts(data: Dashboard) -> dict[str, str]:
    return {
        "funnel": charts.hbar_chart(
            [(step.label, step.count, "" if step.rate is None else f"{100 * step.rate:.1f}%") for step in data.funnel],
            label="Conversion funnel",
        ),
        "plans": charts.hbar_chart(
            [(p.plan or "(no plan)", p.count, "") for p in data.plans], label="Monthly vs annual", css_class="bar2"
        ),
        "mrr": charts.time_chart([(d.day, d.mrr) for d in data.days], label="MRR by day", kind="line", money=True),
        "signups": charts.time_chart([(d.day, d.signups) for d in data.days], label="Sign-ups by day"),
        "learners": charts.time_chart(
            [(d.day, d.active_learners) for d in data.days], label="Active learners by day", kind="line"
        ),
        "completion": charts.paired_hbar_chart(
            [(m.title, m.users_started, m.users_completed) for m in data.completion],
            label="Completion by module",
            legend=("Started", "Completed"),
        ),
    }


@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """/admin/analytics/ — staff only (wrapped in `admin.site.admin_view` in urls.py)."""
    _, window = _window(request)
    data = dashboard(window=window)
    shown = DateRangeForm(initial={"start": window.first_day, "end": window.last_day})
    query = {} if window.is_default else {"start": window.first_day.isoformat(), "end": window.last_day.isoformat()}
    context = {
        **admin.site.each_context(request),
        "title": "Analytics",
        "form": shown,
        "data": data,
        "charts": _charts(data),
        "mrr_plans": plans_all(),
        "csv_url": reverse("analytics:dashboard_csv") + (f"?{urlencode(query)}" if query else ""),
    }
    return render(request, "admin/analytics/dashboard.html", context)


@require_GET
def dashboard_csv_view(request: HttpRequest) -> HttpResponse:
    """The dashboard's numbers as CSV for the same range (a bad range falls back to the default)."""
    _, window = _window(request)
    response = HttpResponse(dashboard_csv(dashboard(window=window)), content_type="text/csv; charset=utf-8")
    filename = f"syllabus-analytics-{window.first_day}-{window.last_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
