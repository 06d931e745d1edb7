from django.urls import path

from billing import views, webhooks

app_name = "billing"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/checkout/", views.checkout, name="checkout"),
    path("billing/success/", views.success, name="success"),
    path("billing/status/", views.status, name="status"),
    path("billing/portal/", views.portal, name="portal"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
