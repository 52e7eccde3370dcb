"""Browser tests: a screenshot into test-results/ when a test fails, a record of the
console's Content-Security-Policy complaints (a page must not trip its own CSP).

(The reference lists every database test needs are re-seeded by tests/conftest.py.)
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from tests.support import ROOT

RESULTS = ROOT / "test-results"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _screenshot_on_failure(request, pg) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    RESULTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
    # A screenshot is a courtesy: never let it hide the real failure.
    with contextlib.suppress(Exception):
        pg.screenshot(path=str(Path(RESULTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def csp_violations():
    return []


@pytest.fixture(autouse=True)
def _browser_extras(request, csp_violations):
    pages = [
        request.getfixturevalue(n) for n in ("page", "phone_page") if n in request.fixturenames
    ]
    for pg in pages:
        pg.on(
            "console",
            lambda msg: (
                csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
    yield
    for pg in pages:
        _screenshot_on_failure(request, pg)


@pytest.fixture
def reseeded(transactional_db):
    """A transactional test that ran before this one flushed the database, the seeded
    stages and subjects (a data migration) with it: put them back, and forget the content
    types cached before the flush."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)
