"""Settings of the gunicorn that `bench.pages` measures: production's, plus two things only a benchmark
needs — a trivial view (the middleware stack alone, anonymous and signed in) and a response header
with the number of SQL queries the request ran. Counting costs a few microseconds per query."""

from config.settings.production import *  # noqa: F403
from config.settings.production import MIDDLEWARE

ROOT_URLCONF = "bench._pages_urls"
MIDDLEWARE = ["bench._pages_urls.QueryCountMiddleware", *MIDDLEWARE]
