"""Loading the WSGI app computes the release digest that names kept pages, so under gunicorn's preload the
master computes it once and every worker (a recycled one too) inherits the value of the code it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

LOADED = """
import config.wsgi, config.page_cache as page_cache
assert page_cache._release is not None, "the app loaded without computing the release digest"
print(page_cache._release)
"""
ON_DEMAND = """
import django; django.setup()
import config.page_cache as page_cache
assert page_cache._release is None
print(page_cache.release_digest())
"""


def _run(code: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    root = Path(settings.BASE_DIR)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_loading_the_app_computes_the_release_digest():
    loaded = _run(LOADED)
    assert len(loaded) == 24  # blake2b, 12 bytes
    assert _run(ON_DEMAND) == loaded  # the same release in every process
