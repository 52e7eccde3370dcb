"""Background work of the resource library: the periodic aggregation of view and
download hits into the resources' figures (see ``use.py``), and the rebuild of the
statistics' day and month tables (``summary.py``) — also after the units' tree changed
(a unit moved: the month table, rolled up per unit with its subtree, is ignored until
rebuilt)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import job_kind, on_change, periodic

from . import previews  # noqa: F401 - its job kind: an office document's PDF rendition

AGGREGATE_HITS = "resources.aggregate_hits"
REBUILD_STATS = "resources.rebuild_stats"


@job_kind(
    AGGREGATE_HITS,
    label=_lazy("Counting resource views and downloads"),
    phases={"counting": _lazy("Adding views and downloads to the resources")},
)
def aggregate_hits_job(job, progress) -> dict:
    """Job: add the pending hits to the resources' view and download counts."""
    from .use import aggregate_hits

    return aggregate_hits(progress=progress)


periodic(AGGREGATE_HITS, every=dt.timedelta(minutes=10))


@job_kind(
    REBUILD_STATS,
    label=_lazy("Recomputing the resource statistics"),
    phases={"counting": _lazy("Counting the resources, their decisions and uses")},
)
def rebuild_stats_job(job, progress) -> dict:
    """Job: recompute the statistics' day table from the resources (``summary.rebuild``)."""
    from .summary import rebuild

    return rebuild(progress=progress)


# The month table is read only while the units' tree is the one it was rolled up under
# (summary.tree_unchanged): any new version of it (orgs.services.move_unit, an import of
# units, a school's flags) starts the rebuild when its write commits.
on_change(REBUILD_STATS, "orgs.units")
