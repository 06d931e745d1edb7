from django.urls import path, re_path

from notes import views

app_name = "notes"

# Ids have one shape (DESIGN.md §12): anything else is a 404 before any query.
ID = "[a-z0-9]{25}"

urlpatterns = [
    path("notes/", views.notes_list, name="list"),
    path("notes/export.md", views.notes_export, name="export"),
    re_path(rf"^lessons/(?P<lesson_id>{ID})/notes/$", views.note_create_view, name="create"),
    re_path(rf"^notes/(?P<note_id>{ID})/edit/$", views.note_update_view, name="update"),
    re_path(rf"^notes/(?P<note_id>{ID})/delete/$", views.note_delete_view, name="delete"),
]
