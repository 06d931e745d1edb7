from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/start/", views.start, name="start"),
    path("team/invitations/", views.invite, name="invite"),
    path("team/invitations/<cuid:invitation_id>/resend/", views.invitation_action, {"action": "resend"}, name="resend"),
    path("team/invitations/<cuid:invitation_id>/revoke/", views.invitation_action, {"action": "revoke"}, name="revoke"),
    path("team/invitations/<str:token>/", views.invitation, name="invitation"),
    path("team/members/<cuid:membership_id>/remove/", views.member_action, {"action": "remove"}, name="remove"),
    path("team/members/<cuid:membership_id>/role/", views.member_action, {"action": "role"}, name="role"),
    path("team/leave/", views.leave, name="leave"),
    path("team/seats/", views.seats, name="seats"),
    path("team/portal/", views.portal, name="portal"),
    path("team/export.csv", views.export, name="export"),
]
