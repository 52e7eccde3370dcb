"""The migrations onto jobs keep what was there: an import's status, counts, report,
owner and creator; an exam's failed analysis and its message; a failed value-added pair."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("core", "0005_import_job_params"),
    ("quality", "0003_scoped_stat_indexes"),
    ("ledger", "0003_brief_document_version"),
]
AFTER = [
    ("core", "0008_import_job_state_on_job"),
    ("quality", "0006_analysis_state_on_jobs"),
    ("ledger", "0004_brief_document_job"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _latest_schema_after():
    """Going back to BEFORE unapplies every later migration that depends on those apps
    (e.g. activities' organising community, via communities): the schema is brought back
    to the latest migrations afterwards, for the tests that run next in this process."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_import_jobs_and_analysis_state_survive_the_migration(world):
    old = _migrate(BEFORE)
    admin, unit = world.users["city_admin"], world.units["linwei"]
    when = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
    ImportJob = old.get_model("core", "ImportJob")
    rejected = ImportJob.objects.create(
        kind="schools",
        file="imports/2026/11/a.xlsx",
        original_name="学校.xlsx",
        status="rejected",
        phase="done",
        total_rows=3,
        processed_rows=3,
        result={"rows": 3, "error_count": 1, "errors": [{"row": 2, "message": "缺少代码"}]},
        created_by_id=admin.pk,
        org_unit_id=unit.pk,
        created_at=when,
        started_at=when,
        finished_at=when + dt.timedelta(seconds=4),
    )
    pending = ImportJob.objects.create(
        kind="people", file="imports/2026/11/b.xlsx", original_name="人员.xlsx"
    )
    Exam = old.get_model("quality", "Exam")
    Stage = old.get_model("orgs", "Stage")
    common = {"kind": "zhongkao", "grade": 9, "stage_id": Stage.objects.first().pk}
    failed = Exam.objects.create(
        name="2025年中考",
        date=dt.date(2025, 6, 20),
        org_unit_id=unit.pk,
        analysis_status="failed",
        analysis_error="分析意外失败，已保留之前的结果。",
        analysis_progress=40,
        **common,
    )
    entry = Exam.objects.create(
        name="入学测试", date=dt.date(2022, 9, 1), org_unit_id=unit.pk, **common
    )
    Link = old.get_model("quality", "ValueAddedLink")
    link = Link.objects.create(entry_exam=entry, exit_exam=failed, status="failed")
    ready = Link.objects.create(
        entry_exam=failed, exit_exam=entry, status="ready", computed_at=when
    )

    new = _migrate(AFTER)
    ImportJob = new.get_model("core", "ImportJob")
    imp = ImportJob.objects.select_related("job").get(pk=rejected.pk)
    job = imp.job
    assert (job.kind, job.status, job.phase, job.done, job.total) == (
        "core.import",
        "failed",
        "done",
        3,
        3,
    )
    assert job.result["rejected"] and job.result["errors"][0]["message"] == "缺少代码"
    assert job.created_by_id == admin.pk and job.org_unit_id == unit.pk
    assert job.created_at == when and job.finished_at == when + dt.timedelta(seconds=4)
    waiting = ImportJob.objects.select_related("job").get(pk=pending.pk).job
    assert waiting.status == "queued" and waiting.phase == "" and waiting.attempts == 0

    # Read through today's models: the import still says what it said.
    from jiaoyan.core.models import ImportJob as Current
    from jiaoyan.quality.models import Exam as CurrentExam
    from jiaoyan.quality.models import ValueAddedLink as CurrentLink

    assert Current.objects.get(pk=rejected.pk).status == "rejected"
    assert Current.objects.get(pk=pending.pk).status == "pending"
    exam = CurrentExam.objects.get(pk=failed.pk)
    assert exam.analysis_status == "failed"
    assert exam.analysis_error == "分析意外失败，已保留之前的结果。"
    assert CurrentLink.objects.get(pk=link.pk).status == "failed"
    assert CurrentLink.objects.get(pk=ready.pk).status == "ready"
