from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from emails import views

app_name = "emails"

urlpatterns: list[URLPattern | URLResolver] = [
    path("emails/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

# django-anymail's ESP webhooks (`/anymail/<esp>/tracking/`, e.g. /anymail/postmark/tracking/) feed
# bounces and complaints to emails.receivers. They are mounted only with a basic-auth secret
# (ANYMAIL_WEBHOOK_SECRET="user:password"): without one anymail accepts any caller, and anyone
# could then suppress any address.
if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    urlpatterns += [path("anymail/", include("anymail.urls"))]
