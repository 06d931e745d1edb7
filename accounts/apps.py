from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Learners"  # allauth's own app is already "Accounts" in the admin

    def ready(self) -> None:
        # Connect allauth's signals to the accounts services.
        from accounts import receivers  # noqa: F401, PLC0415 — in ready(): receivers need the app registry
