from django.urls import path

from progress import views

app_name = "progress"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("lessons/<cuid:lesson_id>/complete/", views.lesson_complete_view, name="lesson_complete"),
    path("lessons/<cuid:lesson_id>/uncomplete/", views.lesson_uncomplete_view, name="lesson_uncomplete"),
    path("lessons/<cuid:lesson_id>/position/", views.lesson_position_view, name="lesson_position"),
]
