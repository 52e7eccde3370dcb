"""Disclosure by subtraction (issue 10, finding 4): no published aggregate of restricted
data lets a hidden small group be worked out from a shown total and its shown members.

* The published aggregates are registered (``core.restricted.register_aggregate``) with
  the stored models they read; every page and GET operation is requested (the URLs of
  tests/core/test_get_writes_nothing.py) and one that reads such a model must be marked
  ``@restricted.publishes(key)`` with registered keys — so a new page or endpoint that
  publishes scores is found here, not by an attacker.
* Every registered aggregate has a case below (``CASES``) that fetches its totals and
  members the way an outsider would (API, page, export) and tries the subtraction:
  total·n − Σ shown members' n·mean. It must never be determinable: in every group whose
  total is shown, the hidden members are none, or at least two with ≥ 10 students
  together (then the equation has two unknowns), and the group's shown figures are the
  same on the page, in the API and in the export.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from jiaoyan.core import restricted
from jiaoyan.quality.models import GroupStat, Level
from tests.core.test_get_writes_nothing import USERS, urls  # noqa: F401  (the fixture)
from tests.quality.helpers import dataset, import_and_analyse, make_exam

SMALL = restricted.SMALL_CELL


pytestmark = pytest.mark.usefixtures("chinese")


# --- every reader of an aggregate model is a marked publisher ---------------------------


def _view_functions(path: str, method: str = "get") -> list[Callable]:
    func = resolve(path).func
    for cell in func.__closure__ or ():  # a django-ninja path: its operations
        ops = getattr(cell.cell_contents, "operations", None)
        if ops is not None:
            return [op.view_func for op in ops if method.upper() in op.methods]
    return [func, *(getattr(func, a) for a in ("page_class", "view_class") if hasattr(func, a))]


def _marks(path: str) -> set[str]:
    marks: set[str] = set()
    for f in _view_functions(path):
        marks.update(getattr(f, "restricted_aggregates", ()))
    return marks


def _tables_read(queries) -> set[str]:
    from django.apps import apps

    found = set()
    for label in restricted.aggregate_models():
        table = apps.get_model(label)._meta.db_table
        pattern = re.compile(rf'\bFROM\s+"?{table}"?|\bJOIN\s+"?{table}"?', re.I)
        if any(pattern.search(q["sql"]) for q in queries):
            found.add(label)
    return found


def test_every_reader_of_an_aggregate_is_a_marked_publisher(world, urls, client_for, api_for):  # noqa: F811
    page_urls, api_urls, _names = urls
    registered = restricted.aggregates()
    assert {"quality.analysis", "quality.items", "quality.value_added"} <= set(registered)
    unmarked, unknown = [], []
    for name in ("superuser", "city_admin", "principal"):
        user = world.users[name]
        for c, batch in ((client_for(user), page_urls), (api_for(user), api_urls)):
            for url in batch:
                with CaptureQueriesContext(connection) as ctx:
                    c.get(url)
                read = _tables_read(ctx.captured_queries)
                marks = _marks(urlsplit(url).path)
                if read and not marks:
                    unmarked.append(f"{url}: reads {sorted(read)}")
                unknown += [f"{url}: {m}" for m in marks if m not in registered]
    assert not unmarked, "unmarked readers of aggregates:\n" + "\n".join(sorted(set(unmarked)))
    assert not unknown, unknown


def test_every_registered_aggregate_has_a_subtraction_case():
    assert set(restricted.aggregates()) <= set(CASES)


# --- the attack ---------------------------------------------------------------------------


def assert_not_determinable(groups: list[tuple[dict, list[dict]]], where: str) -> None:
    """``groups``: (total, members) with ``n`` and ``mean`` (None when hidden). Where the
    total is shown, subtracting the shown members must not give a hidden one back."""
    for total, members in groups:
        if total.get("mean") is None:
            continue  # the total is hidden itself: two unknowns at least
        hidden = [m for m in members if m.get("mean") is None]
        if not hidden:
            continue
        assert len(hidden) >= 2 and sum(m["n"] for m in hidden) >= SMALL, (
            f"{where}: {len(hidden)} hidden ({[m['n'] for m in hidden]} students) under a "
            f"shown total {total}: the subtraction gives them back"
        )


def _subtract(total: dict, members: list[dict]) -> float | None:
    """What the attacker computes for the one hidden member (None when not one)."""
    hidden = [m for m in members if m.get("mean") is None]
    if len(hidden) != 1 or total.get("mean") is None:
        return None
    shown = sum(m["n"] * m["mean"] for m in members if m.get("mean") is not None)
    return (total["n"] * total["mean"] - shown) / hidden[0]["n"]


@pytest.fixture
def exam(world):
    """school_b: a class of 15 and a class of 3 (school_b's 18 students are shown);
    schools of 26, 18 and 15 students in two counties."""
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world, n_per_class=(14, 12, 15, 3), seed=11))
    return exam


def _analysis(api, exam, level: str, subject: str = "total") -> list[dict]:
    r = api.get(f"/api/v1/exams/{exam.pk}/analysis?level={level}&subject={subject}&limit=500")
    assert r.status_code == 200, r.content[:200]
    return r.json()["items"]


def _analysis_groups(api, exam, subject: str = "total") -> list[tuple[dict, list[dict]]]:
    whole = _analysis(api, exam, "all", subject)
    counties = _analysis(api, exam, "county", subject)
    schools = _analysis(api, exam, "school", subject)
    classes = _analysis(api, exam, "class", subject)
    groups = []
    if whole:
        groups.append((whole[0], counties))
    for c in counties:
        groups.append((c, [s for s in schools if s["county"] == c["org_unit"]]))
    for s in schools:
        groups.append((s, [k for k in classes if k["org_unit"] == s["org_unit"]]))
    return groups


def case_analysis(world, exam, api_for, client_for) -> None:
    """The analysis API at every level and subject, the exam's export and the school
    report: the small class (3) is hidden, and so is a companion."""
    admin = world.users["city_admin"]
    api = api_for(admin)
    subjects = ["total", *[str(s.pk) for s in exam.subjects.all()]]
    for subject in subjects:
        groups = _analysis_groups(api, exam, subject)
        assert_not_determinable(groups, f"analysis API, subject {subject}")
        assert all(_subtract(t, m) is None for t, m in groups)
    # the attack worked against the shape before complementary suppression: one hidden
    # class under a shown school total gives its mean back exactly
    b = world.schools["school_b"].pk
    stored = {
        s.class_name: s for s in GroupStat.objects.filter(exam=exam, org_unit=b, subject=None)
    }
    school = stored[""]
    members = [
        {"n": s.n, "mean": None if s.class_name == "2班" else s.mean}
        for k, s in stored.items()
        if k
    ]
    assert _subtract({"n": school.n, "mean": school.mean}, members) == pytest.approx(
        stored["2班"].mean
    )
    # the export and the pages hide the same cells as the API
    classes = {(i["org_unit"], i["class_name"]): i for i in _analysis(api, exam, "class")}
    c = client_for(admin)
    r = c.get(f"/quality/{exam.pk}/?export=xlsx&level=class")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    header = [cell.value for cell in ws[2]]
    mean_col = header.index("平均分")
    names = {world.schools[k].org_unit.name: world.schools[k].pk for k in world.schools}
    for row in ws.iter_rows(min_row=3, values_only=True):
        if row[0] is None or row[1] not in names:
            continue
        api_row = classes[(names[row[1]], row[2])]
        assert (row[mean_col] is None) == api_row["suppressed"], row
    # the school's .docx report: the same classes hidden (its table of classes)
    from docx import Document

    r = c.post(f"/quality/{exam.pk}/schools/{b}/?format=docx", follow=True)
    assert r["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.word")
    doc = Document(io.BytesIO(r.content))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "班级")
    for row in table.rows[1:]:
        cells = [x.text for x in row.cells]
        assert (cells[2] == "—") == classes[(b, cells[0])]["suppressed"], cells
    html = c.get(f"/quality/{exam.pk}/schools/{b}/").content.decode()
    hidden = [i for i in classes.values() if i["org_unit"] == b and i["suppressed"]]
    assert len(hidden) >= 2
    table_html = html.split('data-testid="class-table"')[1].split("</table>")[0]
    for stat in GroupStat.objects.filter(exam=exam, org_unit=b, level=Level.CLASS):
        if classes[(b, stat.class_name)]["suppressed"]:
            for figure in (f"{stat.mean:.1f}", f"{stat.median:.1f}", f"{stat.max_score:.1f}"):
                assert figure not in table_html, (stat.class_name, figure)
            assert f"{stat.median}" not in html and f"{stat.q1}" not in html


def case_items(world, exam, api_for, client_for) -> None:
    """The item analysis of a paper only a few students sat: every figure is hidden."""
    from jiaoyan.quality import analysis, services

    small = make_exam(world, name="小样本测试", subjects=[("数学", 100)])
    rows = dataset(world, n_per_class=(14, 12, 15, 3), seed=4, subjects=[("数学", 100)])
    import_and_analyse(world, small, rows)
    few = [r for r in rows if r[2] == "2班" and r[1] == world.schools["school_b"].org_unit.code]
    head = ["考号", "第1题", "第2题"]
    body = [["满分", 50, 50], *[[r[0], 33.0, 34.0] for r in few]]
    from tests.quality.helpers import xlsx_bytes

    services.import_items(
        actor=world.users["city_admin"],
        exam=small,
        subject=small.subjects.get(),
        data=xlsx_bytes([head, *body]),
        filename="items.xlsx",
    )
    analysis.run_analysis(small.pk)
    api = api_for(world.users["city_admin"])
    r = api.get(f"/api/v1/exams/{small.pk}/items?subject=数学")
    assert r.status_code == 200, r.content[:300]
    body = r.json()
    assert body["n"] < SMALL and body["alpha"] is None
    assert all(i["mean"] is None and i["suppressed"] for i in body["items"])
    c = client_for(world.users["city_admin"])
    page = c.get(f"/quality/{small.pk}/subjects/{small.subjects.get().pk}/").content.decode()
    assert "33.0" not in page.split('id="items"')[-1][:3000]
    r = c.get(f"/quality/{small.pk}/subjects/{small.subjects.get().pk}/?export=items")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert all(row[2] in (None, "") for row in ws.iter_rows(min_row=3, values_only=True) if row[0])


def case_value_added(world, exam, api_for, client_for) -> None:
    """Value-added groups: the small class and a companion hidden, at every level, in
    the API, the page's export and the link's own figures."""
    from jiaoyan.quality import analysis
    from jiaoyan.quality.models import ValueAddedLink

    entry = make_exam(world, name="入学测试", grade=7)
    import_and_analyse(world, entry, dataset(world, n_per_class=(14, 12, 15, 3), seed=11))
    link = ValueAddedLink.objects.create(entry_exam=entry, exit_exam=exam)
    analysis.run_value_added(link.pk)
    api = api_for(world.users["city_admin"])

    def level(name):
        url = f"/api/v1/value-added?entry={entry.pk}&exit={exam.pk}&level={name}&limit=500"
        r = api.get(url)
        assert r.status_code == 200, r.content[:300]
        return [
            {**i, "n": i["n_linked"], "mean": i["mean_residual"], "county": None}
            for i in r.json()["items"]
        ]

    whole, counties, schools, classes = (level(x) for x in ("all", "county", "school", "class"))
    paths = {u.pk: u.path for u in world.units.values()}
    groups = [(whole[0], counties)] if whole else []
    for cty in counties:
        inside = [
            s
            for s in schools
            if world_path(world, s["org_unit"]).startswith(paths[cty["org_unit"]])
        ]
        groups.append((cty, inside))
    for s in schools:
        groups.append((s, [k for k in classes if k["org_unit"] == s["org_unit"]]))
    assert_not_determinable(groups, "value-added API (mean residual)")
    for g in groups:  # the entry and exit means too
        for field in ("mean_entry", "mean_exit"):
            t, m = g
            assert_not_determinable(
                [({**t, "mean": t[field]}, [{**x, "mean": x[field]} for x in m])], field
            )
    assert any(k["suppressed"] for k in classes)


def world_path(world, unit_id: int) -> str:
    from jiaoyan.orgs.models import OrgUnit

    return OrgUnit.objects.get(pk=unit_id).path


def case_metrics(world, exam, api_for, client_for) -> None:
    """The metric registry's score rate of a unit: computed from the school figures the
    analysis shows and nothing more (a school hidden as small, or as the complement of
    one, is left out), and hidden under 10 students."""
    import datetime as dt

    from tests.conftest import make_person

    small = make_exam(world, name="小测", date=dt.date(2024, 6, 20))
    import_and_analyse(world, small, dataset(world, n_per_class=(14, 12, 5, 3), seed=3))
    b = world.schools["school_b"].org_unit
    stat = GroupStat.objects.get(exam=small, level=Level.SCHOOL, org_unit=b, subject=None)
    assert stat.n < SMALL
    head = make_person("T102", "孙校长", b, role="principal", username="principal_b")
    period = "start=2024-01-01&end=2024-12-31"

    def rate(api, unit):
        r = api.get(f"/api/v1/metrics?unit={unit.pk}&{period}")
        assert r.status_code == 200, r.content[:300]
        return next(m for m in r.json()["items"] if m["key"] == "quality.score_rate")

    mine = rate(api_for(head.user), b)
    assert mine["value"] is None and mine["suppressed"]  # before: school_b's own mean
    admin = api_for(world.users["city_admin"])
    full = sum(s.full_marks for s in small.subjects.all())
    shown_rows = [r for r in _analysis(admin, small, "school") if r["mean"] is not None]
    for unit in (b, world.units["renmin"], world.units["linwei"], world.units["city"]):
        got = rate(admin, unit)
        inside = [r for r in shown_rows if world_path(world, r["org_unit"]).startswith(unit.path)]
        if sum(r["n"] for r in inside) < SMALL:
            assert got["value"] is None, unit.name
            continue
        scored = sum(r["n"] * r["mean"] for r in inside)
        possible = sum(r["n"] * full for r in inside)
        assert got["value"] == pytest.approx(round(100.0 * scored / possible, 1), abs=0.05)


def _wellbeing_campaign(world):
    """A screening of 临渭区's two schools: school A's classes of 15 and 3 students, school
    B's class of 12 (grade 7 throughout)."""
    import datetime as dt

    from django.utils import timezone

    from jiaoyan.wellbeing import services
    from jiaoyan.wellbeing.models import Student

    a, b = (world.schools[k].org_unit for k in ("school_a", "school_b"))
    n = 0
    for school, cls, count in ((a, "1班", 15), (a, "2班", 3), (b, "1班", 12)):
        for _k in range(count):
            n += 1
            Student.objects.create(
                school=school,
                key=f"WB{n:04d}",
                name="学生",
                gender="female" if n % 2 else "male",
                birth_date=dt.date(2013, 1, 1),
                grade=7,
                class_name=cls,
            )
    start = timezone.now() - dt.timedelta(hours=1)
    su = world.users["superuser"]
    c = services.create_campaign(
        actor=su,
        org_unit=world.units["linwei"],
        name="差分测试筛查",
        scales=["phq9"],
        schools=[a, b],
        starts_at=start,
        ends_at=start + dt.timedelta(days=7),
    )
    services.open_campaign(actor=su, campaign=c)
    return c


def _shown(v):
    return None if isinstance(v, str) else v


def case_wellbeing_figures(world, exam, api_for, client_for) -> None:
    """A campaign's table by school and its table by class (and by grade): school A's
    figure minus its shown classes must not give the class of 3 back — the class table
    hides a second class of the same school (and of the same grade)."""
    from jiaoyan.wellbeing.models import Participation

    c = _wellbeing_campaign(world)
    api = api_for(world.users["city_admin"])

    def table(by: str) -> dict:
        r = api.get(f"/api/v1/wellbeing/campaigns/{c.pk}/figures?by={by}")
        assert r.status_code == 200, r.content[:300]
        return r.json()

    schools, classes, grades = table("school"), table("class"), table("grade")
    sizes = {}
    for name, cls, n in (
        Participation.objects.values_list("school__name", "student__class_name")
        .annotate(n=Count("id"))
        .order_by()
    ):
        sizes[(name, cls)] = n

    def size(row: dict) -> int:
        return next(
            n
            for (name, cls), n in sizes.items()
            if row["group"].startswith(name) and row["group"].endswith(cls)
        )

    small = next(r for r in classes["rows"] if size(r) == 3)
    assert _shown(small["invited"]) is None  # the class of 3 is hidden
    a_row = next(r for r in schools["rows"] if small["group"].startswith(r["group"]))
    assert _shown(a_row["invited"]) == 18  # and its school's figure is shown
    groups = []
    for total, members in [
        *[
            (s, [k for k in classes["rows"] if k["group"].startswith(s["group"])])
            for s in schools["rows"]
        ],
        *[(g, classes["rows"]) for g in grades["rows"]],
    ]:
        groups.append(
            (
                {"n": 0, "mean": _shown(total["invited"])},
                [{"n": size(k), "mean": _shown(k["invited"])} for k in members],
            )
        )
        for j in range(len(total["cells"])):
            groups.append(
                (
                    {"n": 0, "mean": _shown(total["cells"][j])},
                    [{"n": size(k), "mean": _shown(k["cells"][j])} for k in members],
                )
            )
    assert_not_determinable(groups, "campaign figures: school or grade minus its classes")


def case_wellbeing_metrics(world, exam, api_for, client_for) -> None:
    """The screening metrics of a unit count the schools whose own figure is shown and
    nothing more: a school of 5 screened is hidden, and the district minus the other
    school gives nothing back."""
    from django.utils import timezone

    from jiaoyan.wellbeing import services

    c = _wellbeing_campaign(world)
    su = world.users["superuser"]
    b = world.schools["school_b"].org_unit
    done_b = 0
    for p in c.participations.select_related("school").order_by("pk"):
        if p.school_id == b.pk:
            if done_b >= 5:
                continue
            done_b += 1
        services.enter_paper_answers(
            actor=su, participation=p, answers={"phq9": [1, 0, 1, 0, 0, 1, 0, 0, 0]}
        )
    year = timezone.localdate().year
    period = f"start={year}-01-01&end={year}-12-31"
    admin = api_for(world.users["city_admin"])

    def screened(unit):
        r = admin.get(f"/api/v1/metrics?unit={unit.pk}&{period}")
        assert r.status_code == 200, r.content[:300]
        return next(m for m in r.json()["items"] if m["key"] == "wellbeing.screened")

    a = world.schools["school_a"].org_unit
    assert screened(b)["value"] is None and screened(b)["suppressed"]
    assert screened(a)["value"] == 18
    for unit in (world.units["linwei"], world.units["city"]):
        got = screened(unit)
        assert got["value"] == 18, unit.name  # school B's 5 are not in it
        assert got["value"] - screened(a)["value"] == 0


CASES: dict[str, Callable] = {
    "wellbeing.figures": case_wellbeing_figures,
    "wellbeing.metrics": case_wellbeing_metrics,
    "quality.analysis": case_analysis,
    "quality.items": case_items,
    "quality.value_added": case_value_added,
    restricted.METRICS: case_metrics,
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_the_subtraction_attack_fails_on_every_aggregate(key, world, exam, api_for, client_for):
    CASES[key](world, exam, api_for, client_for)
