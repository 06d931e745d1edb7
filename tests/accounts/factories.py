from __future__ import annotations

import factory

from accounts.models import User, UserRole

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    name = factory.Faker("name")
    onboarding_complete = True
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Params:
        admin = factory.Trait(role=UserRole.ADMIN, is_superuser=True)
