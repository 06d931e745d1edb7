from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.urls import include, path, register_converter

from config.converters import CuidConverter
from config.health import healthz
from config.views import favicon

# `<cuid:…>` in every URL that carries an id (registered before any app's urls.py is imported).
register_converter(CuidConverter, "cuid")

admin.site.site_header = "Syllabus admin"
admin.site.site_title = "Syllabus admin"
admin.site.index_title = "Course, learners, billing and email"


def _admin_hide_plumbing() -> None:
    """The admin index lists what an operator runs the course with. Framework plumbing goes: sites (SITE_URL
    rules links), groups (roles are USER/ADMIN on the user), social apps and tokens (Google's keys come
    from the environment; tokens are credentials), allauth's session list (the account page shows it)."""
    for model in (Site, Group, SocialApp, SocialToken, UserSession):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_admin_hide_plumbing()

urlpatterns = [
    # The learner pages first: resolving a request walks this list in order, and these are served the most.
    # Reordering is safe while every route still resolves to itself (tests/config/test_url_order.py).
    path("", include("courses.urls")),
    path("", include("progress.urls")),
    path("", include("accounts.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("ops.urls")),  # /readyz, /metrics
    # /admin/analytics/ is mounted before the admin's catch-all.
    path("", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("billing.urls")),
    path("", include("teams.urls")),
    path("", include("emails.urls")),
    path("", include("search.urls")),
    path("", include("qa.urls")),
    path("", include("notes.urls")),
    path("", include("certificates.urls")),
]
# Lesson files are never served from /media/: they go through the access-checked download view.
