from django.urls import path

from courses import views, webhooks

app_name = "courses"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("webhooks/mux/", webhooks.mux_webhook, name="mux_webhook"),
]
