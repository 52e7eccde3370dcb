"""Restricted data (core.restricted): the permission kind on top of scope, its grants and
revocations, reads audited with a reason, and small-cell suppression (primary and
complementary) — in the abstract and where quality shows its figures and student rows."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jiaoyan.core import restricted
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.quality import queries
from jiaoyan.quality.models import GroupStat, Level, StudentDataPermission
from tests.quality.helpers import dataset, import_and_analyse, make_exam

SD = restricted.STUDENT_DATA


pytestmark = pytest.mark.usefixtures("chinese")


# --- the kind and its grants ------------------------------------------------------------


def test_student_data_is_a_registered_kind_stored_in_qualitys_table():
    kind = restricted.kind_of(SD)
    assert kind.grant_model is StudentDataPermission
    assert issubclass(StudentDataPermission, restricted.PermissionGrantBase)
    with pytest.raises(LookupError):
        restricted.kind_of("no_such_kind")


def test_grant_check_and_revoke_are_audited(world):
    admin, researcher = world.users["city_admin"], world.users["district_researcher"]
    school_a = world.schools["school_a"].org_unit
    school_c = world.schools["school_c"].org_unit
    assert not restricted.has_permission(researcher, SD, school_a)
    perm = restricted.grant(
        actor=admin, kind=SD, user=researcher, org_unit=world.units["linwei"], reason="教研分析"
    )
    # the grantee's cached grants were dropped, so the check sees the new one at once
    assert restricted.has_permission(researcher, SD, school_a)
    assert restricted.has_permission(researcher, SD, school_a.path)
    assert not restricted.has_permission(researcher, SD, school_c)  # another district
    assert not restricted.has_permission(researcher, SD, world.units["city"])  # above it
    log = AuditLog.objects.get(action=AuditLog.Action.GRANT, object_id=perm.pk)
    assert log.actor == admin and log.changes["reason"] == [None, "教研分析"]
    restricted.revoke(actor=admin, kind=SD, permission=perm)
    restricted.forget(researcher)  # the grantee's next request reads the grants afresh
    assert not restricted.has_permission(researcher, SD, school_a)
    assert AuditLog.objects.filter(action=AuditLog.Action.REVOKE, object_id=perm.pk).exists()


def test_grants_are_refused_outside_the_granters_scope_and_without_reason(world):
    outsider, teacher = world.users["outsider"], world.users["teacher"]
    with pytest.raises(PermissionDenied):
        restricted.grant(
            actor=outsider, kind=SD, user=teacher, org_unit=world.units["linwei"], reason="x"
        )
    with pytest.raises(PermissionDenied):  # a teacher grants nothing
        restricted.grant(
            actor=teacher, kind=SD, user=teacher, org_unit=world.units["linwei"], reason="x"
        )
    with pytest.raises(ServiceError):
        restricted.grant(
            actor=world.users["city_admin"],
            kind=SD,
            user=teacher,
            org_unit=world.units["linwei"],
            reason="  ",
        )
    assert not StudentDataPermission.objects.exists()
    assert not AuditLog.objects.filter(action=AuditLog.Action.GRANT).exists()


def test_an_expired_grant_no_longer_opens_anything(world):
    teacher = world.users["teacher"]
    school_a = world.schools["school_a"].org_unit
    restricted.grant(
        actor=world.users["city_admin"],
        kind=SD,
        user=teacher,
        org_unit=school_a,
        reason="本校分析",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    assert restricted.has_permission(teacher, SD, school_a)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        restricted.forget(teacher)
        assert not restricted.has_permission(teacher, SD, school_a)


def test_anonymous_and_superuser(world):
    from django.contrib.auth.models import AnonymousUser

    school_a = world.schools["school_a"].org_unit
    assert not restricted.has_permission(AnonymousUser(), SD, school_a)
    assert not restricted.has_permission(None, SD, school_a)
    assert restricted.has_permission(world.users["superuser"], SD, school_a)


# --- audited reads ----------------------------------------------------------------------


def test_record_read_needs_the_permission_and_a_reason_and_keeps_the_reason(world):
    principal = world.users["principal"]
    school_a = world.schools["school_a"].org_unit
    with pytest.raises(PermissionDenied):
        restricted.record_read(principal, SD, school_a, "本校分析")
    restricted.grant(
        actor=world.users["city_admin"], kind=SD, user=principal, org_unit=school_a, reason="x"
    )
    for empty in ("", "  ", None):
        with pytest.raises(ServiceError):
            restricted.record_read(principal, SD, school_a, empty)
    assert not AuditLog.objects.filter(action=AuditLog.Action.VIEW).exists()
    log = restricted.record_read(principal, SD, school_a, "  期中 质量分析  ", rows=12)
    log.refresh_from_db()
    assert log.action == AuditLog.Action.VIEW and log.actor == principal
    assert log.changes["reason"] == [None, "期中 质量分析"] and log.changes["rows"] == [None, 12]
    assert log.unit_path == school_a.path and "期中 质量分析" in log.message
    export = restricted.record_read(principal, SD, school_a, "导出", export=True)
    assert export.action == AuditLog.Action.EXPORT


# --- suppression in the abstract --------------------------------------------------------


def test_primary_suppression_hides_every_small_cell():
    cells = [restricted.Cell("a", 9), restricted.Cell("b", 10), restricted.Cell("c", 0)]
    assert restricted.suppress_cells(cells) == {"a": "primary", "c": "primary"}
    exempt = [restricted.Cell("a", 3, exempt=True)]
    assert restricted.suppress_cells(exempt) == {}


def _recoverable(counts, status) -> list:
    """Cells a reader can work out from the shown cells and the shown totals: a hidden
    cell alone in a row or column whose total is shown (repeated until nothing changes),
    or hidden cells of one line together fewer than 10."""
    known = {(i, j): v for i, r in enumerate(counts) for j, v in enumerate(r) if not status[i][j]}
    rows, cols = len(counts), len(counts[0])
    found = True
    while found:
        found = False
        lines = [[(i, j) for j in range(cols)] for i in range(rows)]
        lines += [[(i, j) for i in range(rows)] for j in range(cols)]
        for line in lines:
            missing = [c for c in line if c not in known]
            if len(missing) == 1:
                i, j = missing[0]
                known[missing[0]] = counts[i][j]
                found = True
    leaked = [c for c in known if status[c[0]][c[1]]]
    for line in (
        *([(i, j) for j in range(cols)] for i in range(rows)),
        *([(i, j) for i in range(rows)] for j in range(cols)),
    ):
        hidden = [c for c in line if status[c[0]][c[1]]]
        if hidden and sum(counts[i][j] for i, j in hidden) < 10:
            leaked += hidden
    return leaked


def test_complementary_suppression_stops_subtraction_from_the_totals():
    counts = [
        [3, 40, 25],  # 3 is small: row total − 40 − 25 would give it back
        [30, 22, 18],
        [27, 35, 41],
    ]
    primary_only = [[("primary" if v < 10 else None) for v in r] for r in counts]
    assert _recoverable(counts, primary_only)  # the attack works without complements
    status = restricted.suppress_grid(counts)
    assert status[0][0] == "primary"
    assert sum(1 for r in status for s in r if s == "complementary") >= 3  # row + column
    assert _recoverable(counts, status) == []


@pytest.mark.parametrize("seed", range(8))
def test_random_tables_never_give_a_small_cell_away(seed):
    import random

    rng = random.Random(seed)
    counts = [
        [rng.choice([0, 1, 2, 4, 7, 9, 12, 15, 30, 60]) for _j in range(4)] for _i in range(5)
    ]
    status = restricted.suppress_grid(counts)
    for i, j in itertools.product(range(5), range(4)):
        if counts[i][j] < 10:
            assert status[i][j] == "primary"
    assert _recoverable(counts, status) == []


def test_a_margin_whose_members_cannot_be_hidden_hides_its_total():
    cells = [
        restricted.Cell("total", 20),
        restricted.Cell("small", 4),
        restricted.Cell("big", 16, exempt=True),
    ]
    status = restricted.suppress_cells(cells, [restricted.Margin("total", ["small", "big"])])
    assert status == {"small": "primary", "total": "complementary"}


# --- in quality: the figures ---------------------------------------------------------------


@pytest.fixture
def exam(world):
    """school_b has a class of 15 and a class of 3: its total and its big class are shown
    to the admin, so the small class must not be recoverable by subtraction."""
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world, n_per_class=(14, 12, 15, 3), seed=11))
    return exam


def _no_class_recoverable(items: list[dict], schools: dict[int, dict]) -> None:
    by_school: dict[int, list[dict]] = {}
    for i in items:
        by_school.setdefault(i["org_unit"], []).append(i)
    for school_id, classes in by_school.items():
        hidden = [c for c in classes if c["suppressed"]]
        if not hidden or schools[school_id]["suppressed"]:
            continue
        assert len(hidden) >= 2 and sum(c["n"] for c in hidden) >= 10, (school_id, classes)


def test_complementary_suppression_in_the_analysis_api(world, exam, api_for):
    api = api_for(world.users["city_admin"])
    classes = api.get(f"/api/v1/exams/{exam.pk}/analysis?level=class&limit=500").json()["items"]
    schools = api.get(f"/api/v1/exams/{exam.pk}/analysis?level=school").json()["items"]
    b = world.schools["school_b"].pk
    b_classes = {c["class_name"]: c for c in classes if c["org_unit"] == b}
    assert b_classes["2班"]["suppression"] == "primary"
    assert b_classes["1班"]["n"] >= 10 and b_classes["1班"]["suppression"] == "complementary"
    assert b_classes["1班"]["mean"] is None and b_classes["1班"]["rank"] is None
    school_b = next(s for s in schools if s["org_unit"] == b)
    assert not school_b["suppressed"] and school_b["mean"] is not None
    _no_class_recoverable(classes, {s["org_unit"]: s for s in schools})
    # every subject too
    for s in exam.subjects.all():
        items = api.get(f"/api/v1/exams/{exam.pk}/analysis?level=class&subject={s.pk}").json()
        tops = api.get(f"/api/v1/exams/{exam.pk}/analysis?level=school&subject={s.pk}").json()
        _no_class_recoverable(items["items"], {t["org_unit"]: t for t in tops["items"]})


def test_complementary_suppression_on_the_pages_and_exports(world, exam, client_for):
    c = client_for(world.users["city_admin"])
    b = world.schools["school_b"]
    page = c.get(f"/quality/{exam.pk}/schools/{b.pk}/").content.decode()
    assert "为防止推算出不足 10 人的群体" in page  # the complement's own message
    page = c.get(f"/quality/{exam.pk}/subjects/total/?level=class").content.decode()
    assert "为防止推算出不足 10 人的群体" in page
    r = c.get(f"/quality/{exam.pk}/?export=xlsx&level=class")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    header = [cell.value for cell in ws[2]]
    mean_col = header.index("平均分")
    rows = {
        (row[1], row[2]): row
        for row in ws.iter_rows(min_row=3, values_only=True)
        if row[0] is not None
    }
    assert rows[(b.org_unit.name, "1班")][mean_col] is None  # hidden as the complement
    assert rows[(b.org_unit.name, "1班")][header.index("参考人数")] >= 10
    assert rows[(world.schools["school_a"].org_unit.name, "1班")][mean_col] is not None


def test_with_the_permission_nothing_is_hidden_there(world, exam):
    admin = world.users["city_admin"]
    restricted.grant(
        actor=admin, kind=SD, user=admin, org_unit=world.units["linwei"], reason="质量分析会"
    )
    rows = list(queries.stat_rows(admin, exam, Level.CLASS, None))
    queries.suppress(rows, queries.Privacy(admin))
    linwei = [r for r in rows if r.path.startswith(world.units["linwei"].path)]
    assert linwei and not any(r.suppressed for r in linwei)


def test_suppression_reads_a_fixed_number_of_queries(world, exam, django_assert_num_queries):
    admin = world.users["city_admin"]
    rows = list(GroupStat.objects.filter(exam=exam))  # every level and subject at once
    privacy = queries.Privacy(admin)
    with django_assert_num_queries(1):
        queries.suppress(rows, privacy)


# --- in quality: student-level rows, the authorization matrix ----------------------------------


def _grant_principal(world):
    restricted.grant(
        actor=world.users["city_admin"],
        kind=SD,
        user=world.users["principal"],
        org_unit=world.schools["school_a"].org_unit,
        reason="本校质量分析",
    )


def _exam_numbers(exam, school) -> list[str]:
    from jiaoyan.quality.models import Candidate

    return list(
        Candidate.objects.filter(exam=exam, school=school).values_list("exam_no", flat=True)
    )


@pytest.mark.parametrize("kind", ["page", "export", "api"])
def test_student_rows_authorization_matrix(world, exam, client, client_for, api_for, kind):
    from django.test import Client

    a = world.schools["school_a"].org_unit
    b = world.schools["school_b"].org_unit
    numbers = _exam_numbers(exam, a)
    assert numbers
    _grant_principal(world)

    def get(user, school, reason="本校质量分析"):
        q = f"school={school.pk}&reason={reason}"
        if kind == "api":
            c = api_for(user) if user else Client()
            return c.get(f"/api/v1/exams/{exam.pk}/students?{q}")
        c = client_for(user) if user else Client()
        return c.get(
            f"/quality/{exam.pk}/students/?{q}" + ("&export=xlsx" if kind == "export" else "")
        )

    def leaked(r) -> bool:
        body = r.content
        if r.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
            ws = openpyxl.load_workbook(io.BytesIO(body)).active
            body = "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row).encode()
        return any(n.encode() in body for n in numbers)

    before = AuditLog.objects.filter(action__in=["view", "export"]).count()
    # anonymous: log in first (pages) or 401 (API)
    r = get(None, a)
    assert r.status_code == (401 if kind == "api" else 302) and not leaked(r)
    # in scope, no permission: 403 (the teacher of the school, the district researcher)
    for name in ("teacher", "district_researcher", "city_admin"):
        r = get(world.users[name], a)
        assert r.status_code == 403, (name, r.status_code)
        assert not leaked(r)
    # No permission anywhere: the same 403 out of scope too (the other district's admin) —
    # a 404 there would tell which ids are schools in someone else's scope.
    r = get(world.users["outsider"], a)
    assert r.status_code == 403 and not leaked(r)
    # A permission elsewhere: one 404 for every school it does not cover (another school
    # in scope, one out of scope, an id of nothing) — the same answer each time.
    r = get(world.users["principal"], b)
    assert r.status_code == 404
    absent = get(world.users["principal"], OrgUnit(pk=10**9))
    assert absent.status_code == 404
    if kind == "api":  # (a page differs by its nonces)
        assert absent.content == r.content
    assert AuditLog.objects.filter(action__in=["view", "export"]).count() == before
    # with the permission but without a reason: asked for it, nothing shown or audited
    r = get(world.users["principal"], a, reason="")
    assert r.status_code == (400 if kind == "api" else 200) and not leaked(r)
    assert AuditLog.objects.filter(action__in=["view", "export"]).count() == before
    # with the permission and a reason: the rows, and one audit row with the reason
    r = get(world.users["principal"], a)
    assert r.status_code == 200 and leaked(r)
    log = AuditLog.objects.filter(action__in=["view", "export"]).latest("id")
    assert AuditLog.objects.filter(action__in=["view", "export"]).count() == before + 1
    assert log.actor == world.users["principal"] and log.unit_path == a.path
    assert log.changes["reason"] == [None, "本校质量分析"]
    assert log.action == ("export" if kind == "export" else "view")


def test_a_balance_figure_never_gives_a_hidden_school_away(world, api_for, client_for):
    from tests.conftest import make_person

    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world, n_per_class=(14, 12, 5, 3), seed=3))
    b = world.schools["school_b"].org_unit
    stat = GroupStat.objects.get(exam=exam, level=Level.SCHOOL, org_unit=b, subject=None)
    assert stat.n < 10
    head = make_person("T102", "孙校长", b, role="principal", username="principal_b")
    api = api_for(head.user)
    body = api.get(f"/api/v1/exams/{exam.pk}/balance").json()
    assert body["schools"] == 0 and body["weighted_mean"] is None
    page = client_for(head.user).get(f"/quality/{exam.pk}/balance/").content.decode()
    assert f"{stat.mean:.1f}" not in page
    # the district sees school_a but not school_b (hidden), nor school_a as its complement
    body = api_for(world.users["district_researcher"]).get(f"/api/v1/exams/{exam.pk}/balance")
    assert body.json()["schools"] == 0


def test_complementary_suppression_of_value_added(world):
    from jiaoyan.quality import analysis
    from jiaoyan.quality.models import ValueAddedLink

    rows = dataset(world, n_per_class=(14, 12, 15, 3), seed=11)
    entry = make_exam(world, name="入学测试", date=dt.date(2024, 9, 1))
    import_and_analyse(world, entry, rows)
    exit_exam = make_exam(world)
    import_and_analyse(world, exit_exam, rows)
    link = ValueAddedLink.objects.create(entry_exam=entry, exit_exam=exit_exam)
    analysis.run_value_added(link.pk)
    admin = world.users["city_admin"]
    b = world.schools["school_b"].org_unit
    classes = {r.class_name: r for r in queries.value_added_rows(admin, link, Level.CLASS, b)}
    assert classes["2班"].suppression == "primary"
    assert classes["1班"].n_linked >= 10 and classes["1班"].suppression == "complementary"
    assert classes["1班"].mean_residual is None
    school = queries.value_added_rows(admin, link, Level.SCHOOL, b)[0]
    assert not school.suppressed and school.mean_residual is not None
