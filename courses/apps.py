from django.apps import AppConfig


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        # Content saves and deletes refresh the learner pages' cached course structure.
        from courses import receivers  # noqa: F401, PLC0415 — in ready(): receivers need the app registry
