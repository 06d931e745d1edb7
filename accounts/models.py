from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q

from config.ids import new_id
from config.user_cache import CACHED_SESSION_HASH, CACHED_USABLE_PASSWORD, users_changed


class UserRole(models.TextChoices):
    USER = "USER", "User"
    ADMIN = "ADMIN", "Admin"


class UserType(models.TextChoices):
    SOLO_BUILDER = "SOLO_BUILDER", "Solo builder"
    EXPERIENCED_DEV = "EXPERIENCED_DEV", "Experienced developer"
    TECH_TEAM = "TECH_TEAM", "Tech team"


class ExperienceLevel(models.TextChoices):
    BEGINNER = "BEGINNER", "Beginner"
    INTERMEDIATE = "INTERMEDIATE", "Intermediate"
    ADVANCED = "ADVANCED", "Advanced"


class UserQuerySet(models.QuerySet["User"]):
    """User rows. Writes that bypass `save()`/`delete()` signals (queryset `update()`, `bulk_update()`)
    still retire the cached copies of the users they touch (`config.user_cache`; saves and deletes are
    covered by `accounts.receivers`). Cache bookkeeping only, no business rule."""

    def update(self, **kwargs: Any) -> int:
        ids = list(self.values_list("pk", flat=True))
        rows = super().update(**kwargs)
        users_changed(ids)
        return rows

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        rows = super().bulk_update(objs, fields, batch_size=batch_size)
        users_changed(obj.pk for obj in objs)
        return rows


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", UserRole.USER)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """`createsuperuser` makes an ADMIN: role ADMIN is what grants /admin/."""
        extra["role"] = UserRole.ADMIN
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """The seed's User. Django's `password` is the seed's `hashedPassword` (unusable for
    OAuth-only users) and Django's `last_login` is the seed's `lastLoginAt`."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    email = models.EmailField(unique=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=200, null=True, blank=True)
    image = models.URLField(max_length=500, null=True, blank=True)
    role = models.CharField(max_length=16, choices=UserRole.choices, default=UserRole.USER)

    # Onboarding
    onboarding_complete = models.BooleanField(default=False)
    user_type = models.CharField(max_length=32, choices=UserType.choices, null=True, blank=True)
    build_goal = models.TextField(null=True, blank=True)
    experience_level = models.CharField(max_length=32, choices=ExperienceLevel.choices, null=True, blank=True)
    access_override = models.BooleanField(
        default=False, help_text="Grant free access to every lesson (bypasses the subscription check)."
    )

    is_active = models.BooleanField(default=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Email preferences
    marketing_opt_out = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # USER is never a superuser; only ADMIN reaches /admin/ (is_staff derives from role).
            models.CheckConstraint(
                condition=Q(role=UserRole.ADMIN) | Q(is_superuser=False), name="user_superuser_is_admin"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_session_auth_hash(self) -> str:
        """Django's, except for a copy read from the user cache (config/user_cache.py): that copy holds
        the session hash computed when it was stored instead of the password hash, which never goes into
        the cache. Reading `password` on it (check_password, set_password) loads the field as any deferred
        field; from then on the hash is computed from it again."""
        if "password" not in self.__dict__ and CACHED_SESSION_HASH in self.__dict__:
            return str(self.__dict__[CACHED_SESSION_HASH])
        return super().get_session_auth_hash()

    def has_usable_password(self) -> bool:
        """Django's, except that a copy from the user cache answers from the flag stored with it (so the
        account page does not load the deferred password hash just to ask)."""
        if "password" not in self.__dict__ and CACHED_USABLE_PASSWORD in self.__dict__:
            return bool(self.__dict__[CACHED_USABLE_PASSWORD])
        return super().has_usable_password()

    @property
    def is_staff(self) -> bool:
        """Admin access follows the seed's role: ADMIN is staff, USER never is."""
        return self.role == UserRole.ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        # Role ADMIN is the whole admin permission model (seed: USER / ADMIN).
        return (self.is_active and self.is_admin) or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return (self.is_active and self.is_admin) or super().has_module_perms(app_label)

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]
