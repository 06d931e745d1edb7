"""Writes to accounts."""

from __future__ import annotations

from accounts.models import User, UserRole


def admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """An ADMIN with this email and password, created if missing. Returns (user, created). Idempotent."""
    user, created = User.objects.get_or_create(
        email=email.lower(),
        defaults={"role": UserRole.ADMIN, "is_superuser": True, "onboarding_complete": True, "name": "Admin"},
    )
    user.role = UserRole.ADMIN
    user.is_superuser = True
    user.is_active = True
    user.set_password(password)
    user.save()
    return user, created
