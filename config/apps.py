from django.contrib.admin.apps import AdminConfig


class SyllabusAdminConfig(AdminConfig):
    """django.contrib.admin with the site of config/admin_site.py as `admin.site`."""

    default_site = "config.admin_site.SyllabusAdminSite"
