from django.apps import AppConfig


class QaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "qa"
    verbose_name = "Lesson Q&A"

    def ready(self) -> None:
        # Retire the cached lesson threads on every post write (and user save: names).
        from qa import receivers  # noqa: F401, PLC0415 — in ready(): receivers need the app registry
