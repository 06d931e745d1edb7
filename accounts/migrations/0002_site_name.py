"""Name the django.contrib.sites row allauth uses in its emails ("[Syllabus] …"), instead of the
default example.com, with the domain taken from SITE_URL."""

from urllib.parse import urlparse

from django.conf import settings
from django.db import migrations


def site_name(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlparse(settings.SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": "Syllabus"})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(site_name, migrations.RunPython.noop)]
