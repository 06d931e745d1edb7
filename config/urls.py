from django.contrib import admin
from django.urls import include, path, register_converter

from config.converters import CuidConverter
from config.health import healthz

# `<cuid:…>` in every URL that carries an id (registered before any app's urls.py is imported).
register_converter(CuidConverter, "cuid")

admin.site.site_header = "Syllabus admin"
admin.site.site_title = "Syllabus admin"
admin.site.index_title = "Course, learners, billing and email"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("ops.urls")),  # /readyz, /metrics
    # /admin/analytics/ is mounted before the admin's catch-all.
    path("", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("billing.urls")),
    path("", include("progress.urls")),
    path("", include("emails.urls")),
    path("", include("qa.urls")),
    path("", include("notes.urls")),
    path("", include("certificates.urls")),
    path("", include("courses.urls")),
]
# Lesson files are never served from /media/: they go through the access-checked download view.
