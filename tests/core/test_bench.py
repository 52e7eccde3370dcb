"""The bench framework (``jiaoyan bench``): spec discovery, page measurement, and imports
and jobs that leave the database as it was. The timings themselves are not tested."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from jiaoyan.core import bench
from jiaoyan.people.models import Person

BENCHMARKS = Path(settings.ROOT_DIR) / "benchmarks"


def test_specs_are_discovered_and_well_formed():
    specs = bench.load_specs(BENCHMARKS)
    assert {"bench_core", "bench_orgs", "bench_people"} <= set(specs.modules)
    names = [p.name for p in specs.pages]
    assert "home" in names and "api people" in names
    for page in specs.pages:
        assert page.user in bench.DEMO_USERS, page
        assert callable(page.path) or page.path.startswith("/"), page
    assert "people import 50k" in [i.name for i in specs.imports]
    assert specs.select(["api"]).pages and all(
        "api" in p.name.lower() for p in specs.select(["api"]).pages
    )


def test_province_reports_are_measured_again_as_the_province_user():
    """At province scale the city's accounts keep their pages and the 100 ms target; the
    pages marked ``province`` come once more as the province's account, against 300 ms."""
    specs = bench.load_specs(BENCHMARKS)
    assert specs.for_scale("city") is specs
    province = specs.for_scale("province")
    assert province.pages[: len(specs.pages)] == specs.pages
    extra = province.pages[len(specs.pages) :]
    marked = [p for p in specs.pages if p.province]
    assert [p.name for p in extra] == [p.name for p in marked]
    assert {p.name for p in marked} >= {"home", "city coverage", "activities: stats (city)"}
    for page in extra:
        assert page.user == bench.PROVINCE_USER
        assert page.target_ms == bench.PROVINCE_TARGET_MS
    assert all(p.target_ms <= bench.PAGE_TARGET_MS * 5 for p in specs.pages)
    assert province.select(["coverage"]).pages[-1].user == bench.PROVINCE_USER


def test_duplicate_names_are_refused(tmp_path):
    (tmp_path / "bench_x.py").write_text(
        "from jiaoyan.core.bench import Page\nPAGES = [Page('a', '/'), Page('a', '/me/')]\n"
    )
    with pytest.raises(ValueError, match="listed twice"):
        bench.load_specs(tmp_path)


def test_measure_page_counts_queries_and_checks_growth(world, tmp_path):
    ctx = bench.BenchContext(scale="test", var_dir=tmp_path)
    ok = bench.measure_page(
        ctx, bench.Page("people", "/people/", user="city_admin", grow="size=100"), repeat=3
    )
    assert "error" not in ok, ok
    assert ok["queries"] == ok["queries_grown"] > 0  # no timing asserted: machines vary
    assert ok["p95_ms"] >= ok["p50_ms"] > 0
    missing = bench.measure_page(ctx, bench.Page("nothing", "/people/999999/"), repeat=1)
    assert missing["error"].startswith("HTTP 404")
    found = bench.measure_page(
        ctx,
        bench.Page("me", lambda c: f"/people/{c.person_pk('teacher')}/", user="teacher"),
        repeat=2,
    )
    assert "error" not in found and found["path"] == f"/people/{world.people['teacher'].pk}/"
    ctx.close()


def test_the_pages_report_the_process_private_memory(world, tmp_path):
    """The web-process memory figure is the private memory (the database file's mapped
    pages are the shared file cache), read while the pages run."""
    import sys

    ctx = bench.BenchContext(scale="test", var_dir=tmp_path)
    results, private = bench.run_pages(
        ctx, [bench.Page("people", "/people/", user="city_admin")], repeat=2, log=lambda _: None
    )
    assert [r["name"] for r in results] == ["people"] and "error" not in results[0]
    if sys.platform == "linux":
        assert 0 < private <= bench.peak_rss_mb()
    else:
        assert private is None


def test_imports_and_jobs_are_rolled_back(world, tmp_path):
    ctx = bench.BenchContext(scale="test", var_dir=tmp_path)
    before = Person.objects.count()

    def run(ctx, data, filename):
        Person.objects.create(staff_no="BENCH1", name="临时", org_unit=world.school_a.org_unit)
        return {"rows": 1, "created": 1, "errors": 0}

    sheet = "工号,姓名\nBENCH1,临时\n".encode()
    spec = bench.Import("x", 1, lambda c, n: (sheet, "x.csv"), run)
    result = bench.run_import(ctx, spec, sheet, "x.csv")
    assert result["created"] == 1 and result["seconds"] >= 0 and result["peak_rss_mb"] > 0
    assert result["limit"]["rows"] == 1  # its ratio: when the limit took measurable time
    job = bench.run_job(
        ctx, bench.Job("y", lambda c: {"n": Person.objects.filter(staff_no="BENCH1").count()})
    )
    assert job["n"] == 0 and job["ok"] is True
    assert Person.objects.count() == before


def test_a_bench_database_is_migrated_forward_only_when_nothing_it_has_changed():
    from jiaoyan.core.management.commands.bench import build_record, only_new_migrations

    now = build_record("city", 1)
    assert now["migrations"] and now["demo"]
    older = dict(list(now["migrations"].items())[:-1])  # built before the newest migration
    assert only_new_migrations({"build": {"demo": now["demo"], "migrations": older}}, now)
    edited = {**older, next(iter(older)): "0" * 16}  # a migration it has was edited
    assert not only_new_migrations({"build": {"demo": now["demo"], "migrations": edited}}, now)
    other_demo = {"demo": "f" * 16, "migrations": older}  # the demo steps changed
    assert not only_new_migrations({"build": other_demo}, now)
    assert not only_new_migrations({}, now)  # a marker from before build records
    assert build_record("city", 2)["demo"] != now["demo"]


def test_the_reference_workload_is_measured_and_figures_are_related_to_it(db):
    ms = bench.reference_ms(runs=3)
    assert 1 < ms < 5000
    report = {
        "reference": {"start_ms": 40.0, "end_ms": 60.0},
        "machine": {"cpus": 2, "load": [0.5, 0.4, 0.3], "load_at_end": [3.1, 1.0, 0.5]},
        "pages": [{"name": "首页", "p50_ms": 25.0, "p95_ms": 100.0}, {"name": "坏", "error": "x"}],
        "imports": [{"name": "人员", "seconds": 10.0}],
        "jobs": [{"name": "demo", "seconds": None}],
    }
    bench.relate(report)
    assert report["reference"]["mean_ms"] == 50.0
    assert report["pages"][0]["p95_ref"] == 2.0 and report["pages"][0]["p50_ref"] == 0.5
    assert "p95_ref" not in report["pages"][1]
    assert report["imports"][0]["seconds_ref"] == 200.0
    assert "seconds_ref" not in report["jobs"][0]
    assert report["machine"]["overloaded"] is True  # 3.1 at the end on 2 cores
    report["machine"]["load_at_end"] = [1.9, 1, 1]
    bench.relate(report)
    assert report["machine"]["overloaded"] is False


def test_the_physical_limit_reads_the_file_and_inserts_as_many_rows_rolled_back(db):
    """The same reader as the imports (a workbook in a child process), then a plain bulk
    insert of the data rows into a scratch table that does not outlive the measure."""
    from django.db import connection

    from tests.quality.helpers import xlsx_bytes

    rows = [
        ["考号", "姓名", "语文"],
        *([f"2025{i:05d}", f"学生{i}", 90 + i % 10] for i in range(500)),
    ]
    limit = bench.physical_limit(xlsx_bytes(rows), "成绩.xlsx", 500)
    assert limit["rows"] == 500 and limit["columns"] == 3
    assert limit["seconds"] == pytest.approx(
        limit["read_seconds"] + limit["insert_seconds"], abs=0.01
    )
    assert limit["read_seconds"] > 0 and limit["insert_seconds"] > 0
    csv = "考号,姓名\n" + "".join(f"{i},学生{i}\n" for i in range(30))
    assert bench.physical_limit(csv.encode(), "x.csv")["rows"] == 31  # all rows when 0
    assert "bench_limit" not in connection.introspection.table_names()


def test_the_import_is_reported_as_a_multiple_of_its_physical_limit():
    r = {"name": "人员导入", "rows": 5000, "seconds": 6.0, "peak_rss_mb": 200.0, "ok": True}
    r |= {"limit": {"seconds": 1.5, "read_seconds": 1.0, "insert_seconds": 0.5}}
    r["limit_ratio"] = 4.0
    line = bench.format_timed(r)
    assert "4.0× 物理极限 1.50 s" in line and "读取 1.00 + 插入 0.50" in line


def test_small_scale_imports_a_tenth_of_the_rows():
    spec = bench.Import("people import 50k", 50_000, lambda c, n: (b"", ""), lambda *a: {})
    assert bench.import_rows(spec, "city") == 50_000
    assert bench.import_rows(spec, "small") == 5_000
    assert bench.import_rows(bench.Import("tiny", 300, spec.make, spec.run), "small") == 100
    assert bench.import_rows(bench.Import("file", 0, spec.make, spec.run), "small") == 0


def test_a_smoke_run_fails_on_errors_never_on_timings():
    clean = {
        "reference": {"start_ms": 50.0, "end_ms": 55.0},
        "pages": [{"name": "首页", "user": "teacher", "p95_ms": 900.0, "ok": False}],
        "imports": [{"name": "人员导入", "seconds": 99.0, "errors": 0, "ok": False}],
        "jobs": [{"name": "导出", "seconds": 99.0, "ok": False}],
    }
    assert bench.errors(clean) == []  # slow everywhere, but nothing broke
    broken = {
        "reference": {"start_ms": None, "end_ms": 50.0},
        "pages": [{"name": "首页", "user": "teacher", "error": "HTTP 500 (expected 200)"}],
        "imports": [
            {"name": "人员导入", "errors": 3, "first_errors": ["工号重复"]},
            {"name": "成绩导入", "error": "AttributeError: x", "limit_error": "OSError: y"},
        ],
        "jobs": [{"name": "导出", "error": "worker job exited with status 1"}],
    }
    found = bench.errors(broken)
    assert found[0] == "首页 (teacher): HTTP 500 (expected 200)"
    assert any("3 rows with errors" in f for f in found)
    assert any(f.startswith("成绩导入 (physical limit)") for f in found)
    assert any(f.startswith("导出:") for f in found)
    assert found[-1] == "reference workload: not measured" and len(found) == 6


def test_a_page_not_in_this_build_is_skipped_with_its_reason_not_failed(tmp_path):
    ctx = bench.BenchContext(scale="test", var_dir=tmp_path)
    spec = bench.Page("statistics", lambda c: bench.path_or_skip("resources:nowhere", query="a=1"))
    r = bench.measure_page(ctx, spec, repeat=1)
    assert r["skipped"] == "skipped: the URL 'resources:nowhere' does not resolve in this build"
    assert "error" not in r and "p95_ms" not in r
    assert bench.errors({"pages": [r]}) == []  # a smoke run does not fail on it
    assert "resources:nowhere" in bench.format_page(r)
    assert bench.path_or_skip("resources:library", query="q=x") == "/resources/?q=x"
    assert bench.path_or_skip("resources:detail", 7) == "/resources/7/"
