"""The WSGI application (what ``jiaoyan serve`` runs under gunicorn).

Memory management tuned for a web process:

* What is loaded by now (Django, the apps, the URL map) lives as long as the process;
  ``gc.freeze()`` leaves it out of the cyclic collector's passes.
* A request leaves reference cycles behind (Django's prefetched relations point both
  ways), thousands of objects for a list of 100 people. Left to the collector's own
  schedule they pile up until a full pass frees them all at once — a 50–150 ms pause in
  some unlucky request. Instead they are collected when each request has finished (after
  the response went out), and what survives is frozen too, so each collection looks only
  at what the last request made: well under a millisecond for a small page, a few for a
  list of 100 people. Every ``FULL_PASS_EVERY`` requests everything is unfrozen and
  collected once, for cycles that outlived the request that made them.
"""

import gc
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiaoyan.settings")
application = get_wsgi_application()


FULL_PASS_EVERY = 1000
_finished = 0


def _collect_request_garbage(**kwargs) -> None:
    global _finished
    _finished += 1
    if _finished % FULL_PASS_EVERY == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


gc.freeze()
request_finished.connect(_collect_request_garbage, dispatch_uid="jiaoyan.wsgi.collect")
