from django.urls import path

from billing import account_views, views, webhooks

app_name = "billing"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/checkout/", views.checkout, name="checkout"),
    path("billing/success/", views.success, name="success"),
    path("billing/status/", views.status, name="status"),
    path("billing/portal/", views.portal, name="portal"),
    path("account/subscription/cancel/", account_views.cancel, name="cancel"),
    path("account/subscription/cancel/<cuid:flow_id>/", account_views.cancel_offers, name="cancel_offers"),
    path("account/subscription/resume/", account_views.resume, name="resume"),
    path("account/billing/", account_views.billing_history, name="billing_history"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
