from django.urls import path

from courses import views, webhooks

app_name = "courses"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("course/", views.course_outline, name="outline"),
    path("lessons/<cuid:lesson_id>/", views.lesson_detail, name="lesson"),
    path("assets/<cuid:asset_id>/download/", views.asset_download_view, name="asset_download"),
    path("webhooks/mux/", webhooks.mux_webhook, name="mux_webhook"),
]
