"""`/emails/unsubscribe/<token>/`: GET shows a confirmation page (link scanners prefetch GETs, so a
GET never changes anything); POST unsubscribes in one click. The POST needs no cookie and no CSRF
token (RFC 8058: mail clients send `List-Unsubscribe=One-Click` with no session): the signed token
is the authentication, and the worst a forged POST can do is what the token's owner asked for."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.services import user_marketing_preference_set
from emails.tokens import unsubscribe_token_user_id


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user_id = unsubscribe_token_user_id(token)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        return render(request, "emails/unsubscribe_invalid.html", status=400)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        # Accounts owns the preference; `source` tells these apart from the account page's "account".
        # Idempotent: a second POST (the mail client's one-click and the learner's click) records nothing.
        user_marketing_preference_set(user=user, opt_out=True, source="email_one_click" if one_click else "email_link")
        return render(request, "emails/unsubscribe_done.html", {"email": user.email})
    return render(
        request,
        "emails/unsubscribe.html",
        {"email": user.email, "token": token, "already": user.marketing_opt_out},
    )
