"""The WSGI application gunicorn serves.

Garbage collection: a web process holds ~180,000 long-lived objects (modules, settings, URL patterns,
compiled templates, cached course structures) that Python's cyclic collector would otherwise walk on every
full collection — a pause of ~100 ms that stalls whatever requests arrive meanwhile (the p99 of a page
at a steady rate, bench.pages). They are moved out of the collector's reach (`gc.freeze`) once the app is
loaded, and once more after the process's first requests built what it builds lazily; a full
collection then walks only the few objects made since (well under a millisecond). Garbage is still
collected as before: only objects alive at those two moments are exempt.
"""

import gc
import os
from typing import Any

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

from config.page_cache import release_digest  # noqa: E402  (after setup: it reads the settings)

# The release digest that names kept pages (config/page_cache.py), computed while the app loads: with gunicorn's
# preload that is once, in the master, so every worker — a recycled one too — names its pages after the code it
# runs, even once a deploy has put new files on disk before the restart (a worker that read them lazily would
# file the old code's pages under the new release's name).
release_digest()

# The process's first requests import views lazily, compile templates and fill per-process caches.
WARM_REQUESTS = 200
_served = 0


def _freeze_when_warm(**kwargs: Any) -> None:
    global _served
    _served += 1
    if _served >= WARM_REQUESTS:
        request_finished.disconnect(_freeze_when_warm, dispatch_uid="config.wsgi.freeze")
        gc.collect()  # once per process: what is garbage now is not kept forever
        gc.freeze()


gc.freeze()
request_finished.connect(_freeze_when_warm, dispatch_uid="config.wsgi.freeze")
