"""The Q&A helpers, shared."""

from tests.qa.conftest import answer, ask  # noqa: F401
