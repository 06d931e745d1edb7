from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from emails import views

app_name = "emails"

urlpatterns: list[URLPattern | URLResolver] = [
    path("emails/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

# django-anymail's tracking webhook of the ESP in use (`/anymail/<esp>/tracking/`, e.g.
# /anymail/postmark/tracking/) feeds bounces and complaints to emails.receivers. Only that one URL is
# mounted (anymail's other ESPs' and inbound views would answer unconfigured), and only with a basic-auth
# secret (ANYMAIL_WEBHOOK_SECRET="user:password"): without one anymail accepts any caller, and anyone
# could then suppress any address.
if settings.EMAIL_ESP and settings.ANYMAIL.get("WEBHOOK_SECRET"):
    from anymail import urls as anymail_urls

    _tracking = [p for p in anymail_urls.urlpatterns if str(p.pattern) == f"{settings.EMAIL_ESP}/tracking/"]
    urlpatterns += [path("anymail/", include((_tracking, "anymail")))]
