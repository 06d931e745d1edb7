from __future__ import annotations

import factory
from django.utils import timezone

from progress.models import LessonProgress
from tests.accounts.factories import UserFactory
from tests.courses.factories import LessonFactory


class LessonProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonProgress

    user = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)
    completed = True
    completed_at = factory.LazyAttribute(lambda o: timezone.now() if o.completed else None)
