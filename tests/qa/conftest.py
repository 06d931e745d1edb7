from typing import Any

import pytest

from qa.models import Post
from qa.services import answer_post, question_ask


@pytest.fixture
def ask():
    def _ask(user: Any, lesson: Any, body: str = "How do I resume on another device?") -> Post:
        return question_ask(user=user, lesson=lesson, body=body)

    return _ask


@pytest.fixture
def answer():
    def _answer(user: Any, question: Post, body: str = "It resumes where you stopped.") -> Post:
        return answer_post(user=user, question=question, body=body)

    return _answer
