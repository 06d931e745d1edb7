"""The schema matches seed 000 §8-§9, model by model and field by field (DESIGN.md §3 mappings)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

# (app.Model, field, null, default) — default None means "no default" or not checked.
SEED_FIELDS = [
    ("accounts.User", "email", False, None),
    ("accounts.User", "email_verified_at", True, None),
    ("accounts.User", "name", True, None),
    ("accounts.User", "image", True, None),
    ("accounts.User", "role", False, "USER"),
    ("accounts.User", "onboarding_complete", False, False),
    ("accounts.User", "user_type", True, None),
    ("accounts.User", "build_goal", True, None),
    ("accounts.User", "experience_level", True, None),
    ("accounts.User", "access_override", False, False),
    ("accounts.User", "password", False, None),
    ("accounts.User", "last_login", True, None),
    ("accounts.User", "created_at", False, None),
    ("accounts.User", "updated_at", False, None),
    ("accounts.User", "marketing_opt_out", False, False),
    ("billing.Subscription", "user", False, None),
    ("billing.Subscription", "stripe_customer_id", False, None),
    ("billing.Subscription", "stripe_subscription_id", False, None),
    ("billing.Subscription", "status", False, None),
    ("billing.Subscription", "plan", False, None),
    ("billing.Subscription", "current_period_start", False, None),
    ("billing.Subscription", "current_period_end", False, None),
    ("billing.Subscription", "cancel_at_period_end", False, False),
    ("billing.Subscription", "cancelled_at", True, None),
    ("billing.Subscription", "payment_failed_at", True, None),
    ("billing.Subscription", "created_at", False, None),
    ("billing.Subscription", "updated_at", False, None),
    ("courses.Module", "title", False, None),
    ("courses.Module", "description", True, None),
    ("courses.Module", "order", False, None),
    ("courses.Module", "published", False, False),
    ("courses.Lesson", "module", False, None),
    ("courses.Lesson", "title", False, None),
    ("courses.Lesson", "order", False, None),
    ("courses.Lesson", "published", False, False),
    ("courses.Lesson", "is_free", False, False),
    ("courses.Lesson", "mux_asset_id", True, None),
    ("courses.Lesson", "mux_playback_id", True, None),
    ("courses.Lesson", "video_duration", True, None),
    ("courses.Lesson", "content", True, None),
    ("courses.Asset", "lesson", False, None),
    ("courses.Asset", "title", False, None),
    ("courses.Asset", "file_name", False, None),
    ("courses.Asset", "file", False, None),
    ("courses.Asset", "file_size", True, None),
    ("courses.Asset", "mime_type", True, None),
    ("courses.Asset", "order", False, 0),
    ("courses.Asset", "created_at", False, None),
    ("progress.LessonProgress", "user", False, None),
    ("progress.LessonProgress", "lesson", False, None),
    ("progress.LessonProgress", "completed", False, False),
    ("progress.LessonProgress", "completed_at", True, None),
    ("emails.EmailQueue", "user", False, None),
    ("emails.EmailQueue", "template", False, None),
    ("emails.EmailQueue", "scheduled_for", False, None),
    ("emails.EmailQueue", "status", False, "PENDING"),
    ("emails.EmailQueue", "data", True, None),
    ("emails.EmailQueue", "processed_at", True, None),
    ("emails.EmailLog", "user", False, None),
    ("emails.EmailLog", "template", False, None),
    ("emails.EmailLog", "to", False, None),
    ("emails.EmailLog", "subject", False, None),
    ("emails.EmailLog", "status", False, None),
    ("emails.EmailLog", "error", True, None),
    ("emails.EmailLog", "sent_at", False, None),
    ("analytics.Event", "user", True, None),
    ("analytics.Event", "session_id", True, None),
    ("analytics.Event", "event", False, None),
    ("analytics.Event", "properties", True, None),
    ("analytics.Event", "created_at", False, None),
]

SEED_ENUMS = {
    "accounts.models.UserRole": ["USER", "ADMIN"],
    "accounts.models.UserType": ["SOLO_BUILDER", "EXPERIENCED_DEV", "TECH_TEAM"],
    "accounts.models.ExperienceLevel": ["BEGINNER", "INTERMEDIATE", "ADVANCED"],
    "billing.models.SubscriptionStatus": ["ACTIVE", "PAST_DUE", "CANCELLED", "TRIALING", "INCOMPLETE"],
    "billing.models.SubscriptionPlan": ["MONTHLY", "ANNUAL"],
    "emails.models.EmailTemplate": [
        "WELCOME",
        "START_JOURNEY",
        "ABANDONMENT_1",
        "ABANDONMENT_2",
        "ABANDONMENT_3",
        "MODULE_COMPLETE",
        "INACTIVE_NUDGE",
        "RENEWAL_REMINDER",
        "PAYMENT_FAILED",
        "PAYMENT_FAILED_FINAL",
        # DESIGN.md §12: the templates added beyond the seed.
        "QA_REPLY",
        "CERTIFICATE",
    ],
    "emails.models.EmailStatus": ["PENDING", "SENT", "FAILED", "CANCELLED"],
}


@pytest.mark.parametrize(("model", "field", "null", "default"), SEED_FIELDS)
def test_seed_field_exists_with_nullability_and_default(model: str, field: str, null: bool, default: object) -> None:
    f = apps.get_model(model)._meta.get_field(field)
    assert f.null is null, f"{model}.{field} null={f.null}"
    if default is not None:
        assert f.default == default


@pytest.mark.parametrize("path", SEED_ENUMS)
def test_seed_enums_have_the_seed_values(path: str) -> None:
    import importlib

    module, name = path.rsplit(".", 1)
    enum = getattr(importlib.import_module(module), name)
    assert list(enum.values) == SEED_ENUMS[path]


@pytest.mark.parametrize(
    "model",
    [
        "accounts.User",
        "billing.Subscription",
        "courses.Module",
        "courses.Lesson",
        "courses.Asset",
        "progress.LessonProgress",
        "emails.EmailQueue",
        "emails.EmailLog",
        "analytics.Event",
    ],
)
def test_primary_keys_are_opaque_strings(model: str) -> None:
    pk = apps.get_model(model)._meta.pk
    assert isinstance(pk, models.CharField)
    first, second = pk.default(), pk.default()
    assert first != second and len(first) >= 24 and first.isalnum()


@pytest.mark.parametrize(
    ("model", "field", "on_delete"),
    [
        ("billing.Subscription", "user", models.CASCADE),
        ("courses.Lesson", "module", models.CASCADE),
        ("courses.Asset", "lesson", models.CASCADE),
        ("progress.LessonProgress", "user", models.CASCADE),
        ("progress.LessonProgress", "lesson", models.CASCADE),
        ("emails.EmailLog", "user", models.CASCADE),
        ("analytics.Event", "user", models.SET_NULL),
    ],
)
def test_on_delete_rules(model: str, field: str, on_delete: object) -> None:
    assert apps.get_model(model)._meta.get_field(field).remote_field.on_delete is on_delete


def _indexed_field_sets(model: str) -> set[tuple[str, ...]]:
    meta = apps.get_model(model)._meta
    found = {tuple(index.fields) for index in meta.indexes}
    found |= {tuple(c.fields) for c in meta.constraints if isinstance(c, models.UniqueConstraint)}
    found |= {(f.name,) for f in meta.fields if f.unique or f.db_index}
    return found


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("accounts.User", ("email",)),
        ("billing.Subscription", ("user",)),
        ("billing.Subscription", ("stripe_customer_id",)),
        ("billing.Subscription", ("stripe_subscription_id",)),
        ("courses.Module", ("order",)),
        ("courses.Lesson", ("module",)),
        ("courses.Lesson", ("order",)),
        ("courses.Asset", ("lesson",)),
        ("progress.LessonProgress", ("user", "lesson")),
        ("progress.LessonProgress", ("user",)),
        ("progress.LessonProgress", ("lesson",)),
        ("emails.EmailQueue", ("status", "scheduled_for")),
        ("emails.EmailQueue", ("user",)),
        ("emails.EmailLog", ("user",)),
        ("emails.EmailLog", ("sent_at",)),
        ("analytics.Event", ("event",)),
        ("analytics.Event", ("user",)),
        ("analytics.Event", ("created_at",)),
        ("analytics.Event", ("event", "created_at")),
    ],
)
def test_seed_indexes_and_unique_keys(model: str, fields: tuple[str, ...]) -> None:
    assert fields in _indexed_field_sets(model)


@pytest.mark.django_db
def test_database_has_the_seed_indexes() -> None:
    """The indexes exist in PostgreSQL, not only in the model state."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        names = {row[0] for row in cursor.fetchall()}
    for name in ["event_event_created_at", "emailqueue_status_scheduled", "lesson_module", "module_order"]:
        assert name in names


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("accounts.User", "email"),
        ("billing.Subscription", "user"),
        ("billing.Subscription", "stripe_customer_id"),
        ("billing.Subscription", "stripe_subscription_id"),
    ],
)
def test_seed_unique_fields_are_unique_not_merely_indexed(model: str, field: str) -> None:
    assert apps.get_model(model)._meta.get_field(field).unique


def test_lesson_progress_is_unique_per_user_and_lesson() -> None:
    constraints = apps.get_model("progress.LessonProgress")._meta.constraints
    assert any(isinstance(c, models.UniqueConstraint) and tuple(c.fields) == ("user", "lesson") for c in constraints)


# `@default(now())` → set on insert; `@updatedAt` → set on every save.
CREATED = [
    ("accounts.User", "created_at"),
    ("billing.Subscription", "created_at"),
    ("courses.Module", "created_at"),
    ("courses.Lesson", "created_at"),
    ("courses.Asset", "created_at"),
    ("progress.LessonProgress", "created_at"),
    ("emails.EmailQueue", "created_at"),
    ("emails.EmailLog", "sent_at"),
    ("analytics.Event", "created_at"),
]
UPDATED = [
    ("accounts.User", "updated_at"),
    ("billing.Subscription", "updated_at"),
    ("courses.Module", "updated_at"),
    ("courses.Lesson", "updated_at"),
    ("progress.LessonProgress", "updated_at"),
]


@pytest.mark.parametrize(("model", "field"), CREATED)
def test_created_timestamps_default_to_now(model: str, field: str) -> None:
    from django.utils import timezone

    f = apps.get_model(model)._meta.get_field(field)
    assert not f.null
    assert getattr(f, "auto_now_add", False) or f.default is timezone.now


@pytest.mark.parametrize(("model", "field"), UPDATED)
def test_updated_timestamps_change_on_every_save(model: str, field: str) -> None:
    f = apps.get_model(model)._meta.get_field(field)
    assert getattr(f, "auto_now", False) and not f.null


@pytest.mark.parametrize(
    ("model", "field", "enum"),
    [
        ("accounts.User", "role", "accounts.models.UserRole"),
        ("accounts.User", "user_type", "accounts.models.UserType"),
        ("accounts.User", "experience_level", "accounts.models.ExperienceLevel"),
        ("billing.Subscription", "status", "billing.models.SubscriptionStatus"),
        ("billing.Subscription", "plan", "billing.models.SubscriptionPlan"),
        ("emails.EmailQueue", "template", "emails.models.EmailTemplate"),
        ("emails.EmailQueue", "status", "emails.models.EmailStatus"),
        ("emails.EmailLog", "template", "emails.models.EmailTemplate"),
        ("emails.EmailLog", "status", "emails.models.EmailStatus"),
    ],
)
def test_enum_fields_take_exactly_the_seed_values(model: str, field: str, enum: str) -> None:
    f = apps.get_model(model)._meta.get_field(field)
    assert [value for value, _ in f.choices or []] == SEED_ENUMS[enum]


@pytest.mark.parametrize(
    ("model", "field", "kind"),
    [
        ("accounts.User", "build_goal", models.TextField),  # @db.Text
        ("courses.Module", "description", models.TextField),  # @db.Text
        ("courses.Lesson", "content", models.JSONField),  # Json? (TipTap)
        ("courses.Lesson", "video_duration", models.IntegerField),
        ("courses.Asset", "file_size", models.IntegerField),
        ("emails.EmailQueue", "data", models.JSONField),
        ("analytics.Event", "properties", models.JSONField),
    ],
)
def test_seed_column_types(model: str, field: str, kind: type) -> None:
    assert isinstance(apps.get_model(model)._meta.get_field(field), kind)
