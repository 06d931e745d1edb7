from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("onboarding/", views.onboarding, name="onboarding"),
    path("account/", views.account, name="account"),
    path("account/profile/", views.account_profile, name="profile"),
    path("account/email-preferences/", views.account_email_preferences, name="email_preferences"),
    path("account/export/", views.account_export, name="export"),
    path("account/delete/", views.account_delete, name="delete"),
    path("account/deleted/", views.account_deleted, name="deleted"),
    path("account/sessions/end/", views.account_session_end, name="session_end"),
]
