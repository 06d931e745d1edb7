from django.urls import re_path

from certificates import views

app_name = "certificates"

# Ids have one shape (DESIGN.md §12): anything else is a 404 before any query.
ID = r"(?P<certificate_id>[a-z0-9]{25})"

urlpatterns = [
    re_path(rf"^certificates/{ID}/$", views.certificate_detail, name="detail"),
    re_path(rf"^certificates/{ID}/certificate\.pdf$", views.certificate_pdf_view, name="pdf"),
    re_path(rf"^certificates/{ID}/share\.png$", views.certificate_image_view, name="image"),
    re_path(rf"^certificates/{ID}/visibility/$", views.certificate_visibility, name="visibility"),
    # Any other id shape: the same clear "no such certificate" page, before any query.
    re_path(r"^certificates/(?P<certificate_id>[^/]{1,100})/$", views.certificate_unknown),
]
