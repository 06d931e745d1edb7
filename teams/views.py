"""/team/ and the invitation links. Thin: parse, call one service or selector, render.

Every action is POST with CSRF and checks, in its service, that the caller is an admin of the team;
a signed-in non-admin gets 403 and nothing changes."""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import SubscriptionPlan
from billing.plans import team_plan_get
from billing.seats import team_portal_start
from billing.selectors import subscription_for
from billing.stripe_client import StripeUnavailable
from config.site import absolute
from progress.selectors import learners_progress
from teams import services
from teams.models import TeamRole
from teams.selectors import (
    InvitationProblem,
    invitation_from_token,
    membership_for,
    team_member_ids,
    team_page,
    team_subscription,
)

if TYPE_CHECKING:
    from accounts.models import User
    from teams.models import Team

PLANS = {"monthly": SubscriptionPlan.MONTHLY, "annual": SubscriptionPlan.ANNUAL}
ID_MAX = 32


def _redirect_303(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _back() -> HttpResponseRedirect:
    return _redirect_303(reverse("teams:team"))


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "teams/forbidden.html",
        {"message": "Only the team's admins can manage the team."},
        status=403,
    )


def _admin_team(request: HttpRequest) -> Team | None:
    membership = membership_for(request.user)
    if membership is None or membership.role != TeamRole.ADMIN:
        return None
    return membership.team


def _team_admin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view is for the admins of the user's team, and is given that team; anyone else gets the 403 page."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        team = _admin_team(request)
        if team is None:
            return _forbidden(request)
        return view(request, team, *args, **kwargs)

    return guarded


def _id(value: str) -> str:
    # Ids have one shape (cuid2); anything else is refused before it reaches a query.
    value = value or ""
    if not value.isalnum() or len(value) > ID_MAX:
        raise Http404
    return value


@never_cache
@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    membership = membership_for(request.user)
    if membership is None:
        return render(
            request,
            "teams/start.html",
            {
                "price_monthly": team_plan_get(SubscriptionPlan.MONTHLY).price,
                "price_annual": team_plan_get(SubscriptionPlan.ANNUAL).price,
                "min_seats": settings.TEAM_MIN_SEATS,
                "max_seats": settings.TEAM_MAX_SEATS,
            },
        )
    if membership.role != TeamRole.ADMIN:
        return render(request, "teams/member.html", {"membership": membership})
    page = team_page(team=membership.team, progress=learners_progress(user_ids=team_member_ids(membership.team)))
    return render(
        request,
        "teams/team.html",
        {
            "page": page,
            "me": membership,
            "min_seats": settings.TEAM_MIN_SEATS,
            "max_seats": settings.TEAM_MAX_SEATS,
            "past_due": page.subscription is not None and page.subscription.status == "PAST_DUE",
        },
    )


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    plan = PLANS.get(request.POST.get("plan", ""))
    if plan is None:
        messages.error(request, "Choose monthly or annual billing.")
        return _back()
    try:
        url = services.team_checkout_start(
            user=user,
            name=request.POST.get("name", ""),
            plan=plan,
            seats=request.POST.get("seats", ""),
            success_url=absolute(f"{reverse('teams:team')}?checkout=done"),
            cancel_url=absolute(reverse("teams:team")),
        )
    except services.TeamError as exc:
        messages.error(request, str(exc))
        return _back()
    except StripeUnavailable:
        messages.error(request, "We couldn't reach our payment provider. Nothing was charged; please try again.")
        return _back()
    return _redirect_303(url)


@login_required
@require_POST
@_team_admin
def invite(request: HttpRequest, team: Team) -> HttpResponse:
    try:
        sent = services.invitations_create(team=team, by=request.user, emails=request.POST.get("emails", ""))  # type: ignore[arg-type]
    except services.SeatsExhausted as exc:
        subscription = team_subscription(team)
        wanted = (subscription.quantity if subscription else 0) + exc.needed
        messages.error(request, f"{exc} Buy more seats below, then invite again.")
        return _redirect_303(f"{reverse('teams:seats')}?{urlencode({'seats': wanted})}")
    except services.NotTeamAdmin:
        return _forbidden(request)
    except services.TeamError as exc:
        messages.error(request, str(exc))
        return _back()
    messages.success(request, f"Invitation sent to {', '.join(i.email for i in sent)}.")
    return _back()


@login_required
@require_POST
def invitation_action(request: HttpRequest, invitation_id: str, action: str) -> HttpResponse:
    invitation_id = _id(invitation_id)
    team = _admin_team(request)
    if team is None:
        return _forbidden(request)
    try:
        if action == "resend":
            invitation = services.invitation_resend(team=team, by=request.user, invitation_id=invitation_id)  # type: ignore[arg-type]
            messages.success(request, f"Invitation sent again to {invitation.email}.")
        else:
            if services.invitation_revoke(team=team, by=request.user, invitation_id=invitation_id):  # type: ignore[arg-type]
                messages.success(request, "Invitation revoked; its seat is free.")
            else:
                messages.info(request, "That invitation was no longer pending.")
    except services.NotTeamAdmin:
        return _forbidden(request)
    except services.TeamError as exc:
        messages.error(request, str(exc))
    return _back()


@login_required
@require_POST
def member_action(request: HttpRequest, membership_id: str, action: str) -> HttpResponse:
    membership_id = _id(membership_id)
    team = _admin_team(request)
    if team is None:
        return _forbidden(request)
    try:
        if action == "remove":
            if services.member_remove(team=team, by=request.user, membership_id=membership_id):  # type: ignore[arg-type]
                messages.success(request, "Removed from the team; their seat is free.")
            else:
                messages.info(request, "They had already been removed.")
        else:
            member = services.member_role_set(
                team=team,
                by=request.user,  # type: ignore[arg-type]
                membership_id=membership_id,
                role=request.POST.get("role", ""),
            )
            messages.success(request, f"{member.user.display_name} is now {member.get_role_display().lower()}.")
    except services.NotTeamAdmin:
        return _forbidden(request)
    except services.TeamError as exc:
        messages.error(request, str(exc))
    return _back()


@login_required
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    successor = request.POST.get("successor", "")
    try:
        left = services.member_leave(user=request.user, successor_id=_id(successor) if successor else None)  # type: ignore[arg-type]
    except services.TeamError as exc:
        messages.error(request, str(exc))
        return _back()
    if left:
        messages.success(request, "You left the team. The team's records stay with the team.")
    return _redirect_303("/account/")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@_team_admin
def seats(request: HttpRequest, team: Team) -> HttpResponse:
    """GET: the prorated price of a new seat count, from Stripe's invoice preview. POST: confirm it."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        if request.method == "POST":
            count = services.seats_change(
                team=team,
                by=request.user,  # type: ignore[arg-type]
                seats=data.get("seats", ""),
                proration_date=data.get("proration_date", ""),
            )
            messages.success(request, f"Your team now has {count} seats.")
            return _back()
        count, preview = services.seats_preview(team=team, by=request.user, seats=data.get("seats", ""))  # type: ignore[arg-type]
    except services.NotTeamAdmin:
        return _forbidden(request)
    except services.TeamError as exc:
        messages.error(request, str(exc))
        return _back()
    except StripeUnavailable:
        messages.error(request, "We couldn't reach our payment provider. Nothing changed; please try again.")
        return _back()
    subscription = team_subscription(team)
    return render(
        request,
        "teams/seats.html",
        {
            "team": team,
            "subscription": subscription,
            "seats": count,
            "amount": f"{preview.amount_due / 100:.2f}",
            "credit": preview.amount_due < 0,
            "credit_amount": f"{-preview.amount_due / 100:.2f}",
            "currency": preview.currency.upper(),
            "proration_date": preview.proration_date,
        },
    )


@login_required
@require_POST
@_team_admin
def portal(request: HttpRequest, team: Team) -> HttpResponse:
    subscription = team_subscription(team)
    if subscription is None:
        messages.info(request, "Your team has no subscription yet.")
        return _back()
    try:
        url = team_portal_start(subscription=subscription, return_url=absolute(reverse("teams:team")))
    except StripeUnavailable:
        messages.error(request, "We couldn't open the billing portal just now. Please try again in a minute.")
        return _back()
    return _redirect_303(url)


@never_cache
@login_required
@require_GET
@_team_admin
def export(request: HttpRequest, team: Team) -> HttpResponse:
    page = team_page(team=team, progress=learners_progress(user_ids=team_member_ids(team)))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="team-progress.csv"'
    writer = csv.writer(response)
    modules = page.members[0].modules if page.members else []
    writer.writerow(["name", "email", "role", "joined", "last active", "percent"] + [m.title for m in modules])
    for member in page.members:
        writer.writerow(
            [
                _csv_safe(member.name),
                _csv_safe(member.email),
                member.role.lower(),
                member.joined_at.date().isoformat(),
                member.last_active.isoformat() if member.last_active else "",
                member.percent,
            ]
            + [f"{m.done}/{m.total}" for m in member.modules]
        )
    return response


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: a learner's name must never run as one.
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a TEAM_INVITE email. Signed out: sign up or sign in first, then back here. Signed in
    with the invited address: join (POST). Anything wrong: a page saying what, and no membership."""
    try:
        invite = invitation_from_token(token)
    except InvitationProblem as exc:
        return render(request, "teams/invitation_problem.html", {"title": exc.title, "message": str(exc)}, status=410)
    if not request.user.is_authenticated:
        here = request.get_full_path()
        return render(
            request,
            "teams/invitation.html",
            {
                "invitation": invite,
                "signup_url": f"{reverse('account_signup')}?{urlencode({'next': here})}",
                "login_url": f"{reverse('account_login')}?{urlencode({'next': here})}",
            },
        )
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        try:
            joined = services.invitation_accept(token=token, user=user)
        except InvitationProblem as exc:
            return render(
                request, "teams/invitation_problem.html", {"title": exc.title, "message": str(exc)}, status=409
            )
        if joined.own_subscription_active:
            messages.info(
                request,
                "You joined the team. Your own subscription keeps running until you cancel it: "
                "do that from your account page's billing portal if the team seat is all you need.",
            )
        else:
            messages.success(
                request, f"Welcome to {joined.membership.team.name}! Your seat gives you the whole course."
            )
        return _redirect_303("/course/")
    own = subscription_for(user)
    return render(
        request,
        "teams/invitation.html",
        {
            "invitation": invite,
            "wrong_address": invite.email != user.email.lower(),
            "own_subscription": own if own is not None and own.grants_access else None,
            "current_team": membership_for(user),
        },
    )
