from django.urls import re_path

from qa import views

app_name = "qa"

# Ids have one shape (DESIGN.md §12): anything else is a 404 before any query.
ID = "[a-z0-9]{25}"

urlpatterns = [
    re_path(rf"^lessons/(?P<lesson_id>{ID})/questions/$", views.question_ask_view, name="ask"),
    re_path(rf"^qa/(?P<post_id>{ID})/answers/$", views.answer_post_view, name="answer"),
    re_path(rf"^qa/(?P<post_id>{ID})/edit/$", views.post_edit_view, name="edit"),
    re_path(rf"^qa/(?P<post_id>{ID})/delete/$", views.post_delete_view, name="delete"),
    re_path(rf"^qa/(?P<post_id>{ID})/answered/$", views.question_answered_view, name="answered"),
]
