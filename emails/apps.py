from django.apps import AppConfig


class EmailsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "emails"
    verbose_name = "Emails"

    def ready(self) -> None:
        from emails import checks, receivers  # noqa: F401, PLC0415 — in ready(): registers the system checks, connects anymail's signal
