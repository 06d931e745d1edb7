from django.apps import AppConfig


class EmailsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "emails"
    verbose_name = "Emails"

    def ready(self) -> None:
        from emails import receivers  # noqa: F401 — connects anymail's tracking signal
