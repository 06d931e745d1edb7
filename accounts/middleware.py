from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.redirects import onboarding_url

# Paths a signed-in learner may reach before onboarding: sign-in and account management (they may
# want to delete the account), the onboarding page itself, machine endpoints and public pages.
EXEMPT_PREFIXES = (
    "/accounts/",
    "/account/",
    "/onboarding/",
    "/admin/",
    "/webhooks/",
    "/healthz",
    "/analytics/",
    "/emails/",
    "/billing/",
    "/pricing/",
    "/certificates/",  # public verify pages, shared with anyone
    "/static/",
    "/media/",
)
EXEMPT_EXACT = frozenset({"/", "/favicon.ico", "/robots.txt"})


class OnboardingRequiredMiddleware:
    """Learner pages (course outline, lessons, dashboard, …) send a signed-in learner who has not
    finished onboarding to /onboarding/, with `next` back to the page they asked for.
    Staff are never redirected; only page loads (GET/HEAD) are, never form posts or beacons."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._needs_onboarding(request):
            return HttpResponseRedirect(onboarding_url(request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def _needs_onboarding(request: HttpRequest) -> bool:
        if request.method not in ("GET", "HEAD"):
            return False
        path = request.path_info
        if path in EXEMPT_EXACT or path.startswith(EXEMPT_PREFIXES):
            return False
        user = request.user
        return bool(user.is_authenticated and not user.is_staff and not getattr(user, "onboarding_complete", True))
