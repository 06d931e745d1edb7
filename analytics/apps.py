from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Connect allauth's user_signed_up to the session-linking service.
        from analytics import receivers  # noqa: F401, PLC0415 — in ready(): receivers need the app registry
