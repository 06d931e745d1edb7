from django.contrib import admin
from django.urls import path

from analytics import views

app_name = "analytics"

# Mounted before the admin in config/urls.py, so /admin/analytics/ is ours, not the admin's catch-all.
# `admin_view`: staff only (others go to the admin login), CSRF, never cached.
urlpatterns = [
    path("analytics/events/", views.beacon, name="beacon"),
    path("admin/analytics/", admin.site.admin_view(views.dashboard_view), name="dashboard"),
    path("admin/analytics/export.csv", admin.site.admin_view(views.dashboard_csv_view), name="dashboard_csv"),
]
