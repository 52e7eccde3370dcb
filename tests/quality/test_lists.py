"""The quality lists as declared list pages: exams, student-data permissions and a school's
student rows each filter (choices limited to the viewer's scope), sort, answer an HTMX
request with the table only, export what the filters chose, and keep a fixed query count.
The exports of the sheet kinds (an exam's scores, the balance inputs) import back
unchanged."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.utils import timezone

from jiaoyan.core import context
from jiaoyan.core.models import AuditLog
from jiaoyan.core.sheets import get_kind, run_import
from jiaoyan.orgs.models import Stage
from jiaoyan.quality import services
from jiaoyan.quality.models import BalanceInput, Candidate, StudentDataPermission
from jiaoyan.quality.sheets import ScoreSheet
from tests.quality.helpers import dataset, header, import_and_analyse, make_exam, xlsx_bytes
from tests.support import read_xlsx

HTMX = {"HX-Request": "true", "HX-Target": "list-results"}


pytestmark = pytest.mark.usefixtures("chinese")


def exam_names(html: str) -> list[str]:
    rows = html.split('data-testid="exam-row"')[1:]
    return [re.search(r'<a href="/quality/\d+/">(.*?)</a>', r).group(1) for r in rows]


@pytest.fixture
def exams(world):
    """Three exams whose name order, date order and owners all differ."""
    return {
        "zhongkao": make_exam(world, name="2025年中考", date=dt.date(2025, 6, 20)),
        "term": make_exam(
            world,
            name="2023年八年级期末",
            kind="term",
            date=dt.date(2024, 1, 10),
            grade=8,
            owner=world.units["linwei"],
        ),
        "monitoring": make_exam(
            world,
            name="2024年小学监测",
            kind="monitoring",
            date=dt.date(2023, 5, 1),
            grade=5,
            stage="primary",
            owner=world.units["huazhou"],
        ),
    }


# --- exams ------------------------------------------------------------------------------


def test_exam_filters_narrow(world, exams, client_for):
    c = client_for(world.users["city_admin"])
    assert exam_names(c.get("/quality/").content.decode()) == [
        "2025年中考",
        "2023年八年级期末",
        "2024年小学监测",
    ]
    assert exam_names(c.get("/quality/?kind=term").content.decode()) == ["2023年八年级期末"]
    assert exam_names(c.get("/quality/?year=2023").content.decode()) == ["2024年小学监测"]
    linwei = world.units["linwei"].pk
    assert exam_names(c.get(f"/quality/?owner={linwei}").content.decode()) == ["2023年八年级期末"]
    primary = Stage.objects.get(code="primary").pk
    assert exam_names(c.get(f"/quality/?stage={primary}").content.decode()) == ["2024年小学监测"]
    assert exam_names(c.get("/quality/?q=中考").content.decode()) == ["2025年中考"]
    assert exam_names(c.get("/quality/?status=ready").content.decode()) == []
    # odd values are ignored, never a 500
    for odd in ("year=abc", "owner=abc", "owner=99999999", "kind=castle", "sort=password"):
        assert c.get(f"/quality/?{odd}").status_code == 200


def test_exam_filter_choices_are_scoped(world, exams, client_for):
    """The 华州区 admin sees the city's exam and their own: neither 临渭区's exam nor 临渭区
    among the owners or the years."""
    html = client_for(world.users["outsider"]).get("/quality/").content.decode()
    assert exam_names(html) == ["2025年中考", "2024年小学监测"]
    owners = re.search(r'<select name="owner".*?</select>', html, re.S).group(0)
    assert "临渭区" not in owners and "华州区" in owners and "渭南市" in owners
    years = re.search(r'<select name="year".*?</select>', html, re.S).group(0)
    assert 'value="2024"' not in years and 'value="2025"' in years
    # a unit out of scope chosen by hand filters nothing out of scope in
    linwei = world.units["linwei"].pk
    page = client_for(world.users["outsider"]).get(f"/quality/?owner={linwei}")
    assert "2023年八年级期末" not in page.content.decode()


def test_exam_sorts(world, exams, client_for):
    c = client_for(world.users["city_admin"])
    assert exam_names(c.get("/quality/?sort=name").content.decode()) == [
        "2023年八年级期末",
        "2024年小学监测",
        "2025年中考",
    ]
    assert exam_names(c.get("/quality/?sort=-name").content.decode()) == [
        "2025年中考",
        "2024年小学监测",
        "2023年八年级期末",
    ]
    assert exam_names(c.get("/quality/?sort=date").content.decode()) == [
        "2024年小学监测",
        "2023年八年级期末",
        "2025年中考",
    ]


def test_exam_htmx_gets_the_table_only(world, exams, client_for):
    resp = client_for(world.users["city_admin"]).get("/quality/?kind=term", headers=HTMX)
    html = resp.content.decode()
    assert "<html" not in html and 'id="list-results"' not in html
    assert exam_names(html) == ["2023年八年级期末"]


def test_exam_export_follows_the_filters(world, exams, client_for):
    linwei = world.units["linwei"].pk
    resp = client_for(world.users["city_admin"]).get(
        f"/quality/?owner={linwei}&sort=name&export=xlsx"
    )
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    rows = read_xlsx(resp.content)
    assert rows[0][0] == "考试列表"
    assert rows[1] == ["考试名称", "类型", "日期", "学段", "年级", "组织单位", "学生数", "分析状态"]
    assert [r[0] for r in rows[2:]] == ["2023年八年级期末"]
    assert rows[2][5] == "临渭区"


def test_exam_list_query_count_is_pinned(world, client_for, django_assert_max_num_queries):
    c = client_for(world.users["city_admin"])
    url = f"/quality/?year=2025&owner={world.units['city'].pk}&sort=name"
    make_exam(world, name="期末甲")
    c.get(url)
    with django_assert_max_num_queries(13) as few:
        assert c.get(url).status_code == 200
    for i in range(30):  # more than a page holds
        make_exam(world, name=f"期末{i}")
    with django_assert_max_num_queries(13) as many:
        html = c.get(url).content.decode()
    assert len(exam_names(html)) == 25
    assert len(many.captured_queries) == len(few.captured_queries)


# --- student-data permissions ------------------------------------------------------------


@pytest.fixture
def perms(world):
    admin = world.users["city_admin"]
    grant = services.grant_student_data
    out = {
        "school": grant(
            actor=admin,
            user=world.users["principal"],
            org_unit=world.schools["school_a"].org_unit,
            reason="本校质量分析",
        ),
        "district": grant(
            actor=admin,
            user=world.users["district_researcher"],
            org_unit=world.units["linwei"],
            reason="区级教研分析",
        ),
        "revoked": grant(
            actor=admin,
            user=world.users["teacher"],
            org_unit=world.schools["school_a"].org_unit,
            reason="已撤销的授权",
        ),
    }
    services.revoke_student_data(actor=admin, permission=out["revoked"])
    out["expired"] = StudentDataPermission.objects.create(
        user=world.users["counsellor"],
        org_unit=world.units["huazhou"],
        reason="过期的授权",
        granted_by=admin,
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    return out


def reasons(html: str) -> list[str]:
    rows = html.split('data-testid="permission-row"')[1:]
    return [re.findall(r"<td>(.*?)</td>", r)[2] for r in rows]


def test_permission_filters_narrow(world, perms, client_for):
    c = client_for(world.users["city_admin"])
    assert len(reasons(c.get("/quality/permissions/").content.decode())) == 4
    assert reasons(c.get("/quality/permissions/?state=active").content.decode()) == [
        "区级教研分析",
        "本校质量分析",
    ]
    assert reasons(c.get("/quality/permissions/?state=revoked").content.decode()) == [
        "已撤销的授权"
    ]
    assert reasons(c.get("/quality/permissions/?state=expired").content.decode()) == ["过期的授权"]
    assert reasons(c.get("/quality/permissions/?q=区级").content.decode()) == ["区级教研分析"]
    assert reasons(c.get("/quality/permissions/?q=principal").content.decode()) == ["本校质量分析"]
    huazhou = world.units["huazhou"].pk
    assert reasons(c.get(f"/quality/permissions/?within={huazhou}").content.decode()) == [
        "过期的授权"
    ]
    # the 华州区 admin cannot choose 临渭区, nor see its permissions by naming it
    linwei = world.units["linwei"].pk
    html = client_for(world.users["outsider"]).get(f"/quality/permissions/?within={linwei}")
    assert reasons(html.content.decode()) == ["过期的授权"]


def test_permission_sorts(world, perms, client_for):
    c = client_for(world.users["city_admin"])
    by_unit = reasons(c.get("/quality/permissions/?sort=unit").content.decode())
    assert by_unit.index("区级教研分析") < by_unit.index("本校质量分析")
    assert by_unit[-1] == "过期的授权"  # 华州区 comes after 临渭区 in tree order
    oldest = reasons(c.get("/quality/permissions/?sort=granted").content.decode())
    newest = reasons(c.get("/quality/permissions/").content.decode())
    assert oldest == list(reversed(newest)) and oldest[0] == "本校质量分析"


def test_permission_htmx_and_export(world, perms, client_for):
    c = client_for(world.users["city_admin"])
    html = c.get("/quality/permissions/?state=revoked", headers=HTMX).content.decode()
    assert "<html" not in html and "grant-form" not in html
    assert reasons(html) == ["已撤销的授权"]
    page = c.get("/quality/permissions/?state=revoked").content.decode()
    assert 'href="?state=revoked&export=xlsx"' in page
    rows = read_xlsx(c.get("/quality/permissions/?state=revoked&export=xlsx").content)
    assert rows[1] == ["账号", "姓名", "授权单位", "理由", "授权时间", "有效期至", "状态"]
    assert [(r[0], r[3], r[6]) for r in rows[2:]] == [("teacher", "已撤销的授权", "已撤销")]


def test_permission_list_query_count_is_pinned(
    world, perms, client_for, django_assert_max_num_queries
):
    c = client_for(world.users["city_admin"])
    url = "/quality/permissions/?state=active&sort=unit"
    c.get(url)
    with django_assert_max_num_queries(9) as few:
        assert c.get(url).status_code == 200
    school_a = world.schools["school_a"].org_unit
    StudentDataPermission.objects.bulk_create(
        [
            StudentDataPermission(user=world.users["teacher"], org_unit=school_a, reason=f"分析{i}")
            for i in range(30)
        ]
    )
    with django_assert_max_num_queries(9) as many:
        html = c.get(url).content.decode()
    assert len(reasons(html)) == 25
    assert len(many.captured_queries) == len(few.captured_queries)


# --- one school's student rows --------------------------------------------------------------


def one_school_exam(world, *, n_per_class=(14, 12, 11, 3), seed=7):
    """An exam of 临渭区 whose students are all in school_a, imported in a shuffled order."""
    exam = make_exam(world, name="临渭区九年级监测", owner=world.units["linwei"])
    code = world.schools["school_a"].org_unit.code
    rows = [r for r in dataset(world, n_per_class=n_per_class, seed=seed) if r[1] == code]
    random.Random(seed).shuffle(rows)
    import_and_analyse(world, exam, rows)
    return exam


@pytest.fixture
def reader(world):
    """The principal, holding the student-data permission on their school."""
    services.grant_student_data(
        actor=world.users["city_admin"],
        user=world.users["principal"],
        org_unit=world.schools["school_a"].org_unit,
        reason="本校质量分析",
    )
    return world.users["principal"]


def exam_numbers(html: str) -> list[str]:
    rows = html.split('data-testid="student-row"')[1:]
    return [re.search(r"<td>(.*?)</td>", r).group(1) for r in rows]


def test_student_filters_and_sorts(world, reader, client_for):
    exam = one_school_exam(world)
    url = f"/quality/{exam.pk}/students/?school={world.schools['school_a'].pk}&reason=review"
    c = client_for(reader)
    everyone = exam_numbers(c.get(url).content.decode())
    assert len(everyone) == 26  # 1班 14, 2班 12
    in_two = Candidate.objects.filter(exam=exam, class_name="2班")
    html = c.get(url + "&class_name=2班").content.decode()
    assert sorted(exam_numbers(html)) == sorted(in_two.values_list("exam_no", flat=True))
    classes = re.search(r'<select name="class_name".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', classes) == ["1班", "2班"]
    women = exam_numbers(c.get(url + "&gender=female").content.decode())
    assert len(women) == Candidate.objects.filter(exam=exam, gender="female").count() == 13
    by_number = exam_numbers(c.get(url + "&sort=-exam_no").content.decode())
    assert by_number == sorted(everyone, reverse=True)
    # default: by class, then exam number
    assert everyone[:14] == sorted(
        Candidate.objects.filter(exam=exam, class_name="1班").values_list("exam_no", flat=True)
    )


def test_student_htmx_is_the_table_and_is_audited(world, reader, client_for):
    exam = one_school_exam(world)
    school = world.schools["school_a"].pk
    url = f"/quality/{exam.pk}/students/?school={school}&reason=review&class_name=1班"
    html = client_for(reader).get(url, headers=HTMX).content.decode()
    assert "<html" not in html and len(exam_numbers(html)) == 14
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW, actor=reader).count() == 1


def _reimport(exam, content: bytes, actor):
    with context.write_context("web"):
        sheet = get_kind("scores")(actor=actor, params={"exam": exam.pk})
        return run_import(sheet, content, "export.xlsx", dry_run=True)


def test_student_export_is_the_score_sheet_and_imports_back_unchanged(world, reader, client_for):
    exam = one_school_exam(world)
    url = f"/quality/{exam.pk}/students/?school={world.schools['school_a'].pk}&reason=review"
    resp = client_for(reader).get(url + "&export=xlsx")
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    rows = read_xlsx(resp.content)
    assert rows[1] == header()  # the score template's columns
    assert len(rows) - 2 == exam.candidates_count == 26
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, actor=reader).count() == 1
    before = list(Candidate.objects.filter(exam=exam).values_list("exam_no", "scores"))
    result = _reimport(exam, resp.content, world.users["city_admin"])
    assert result.errors == [] and result.rows == 26
    assert (result.created, result.updated) == (0, 0) and result.unchanged == 26
    exam.refresh_from_db()
    assert list(Candidate.objects.filter(exam=exam).values_list("exam_no", "scores")) == before


def test_student_export_follows_the_filters(world, reader, client_for):
    exam = one_school_exam(world)
    school = world.schools["school_a"].pk
    url = f"/quality/{exam.pk}/students/?school={school}&reason=review&class_name=2班"
    page = client_for(reader).get(url).content.decode()
    assert (
        f'href="?school={school}&amp;reason=review&amp;class_name=2%E7%8F%AD&export=xlsx"' in page
    )
    rows = read_xlsx(client_for(reader).get(url + "&export=xlsx").content)
    assert {r[2] for r in rows[2:]} == {"2班"} and len(rows) - 2 == 12


def test_student_list_query_count_is_pinned(
    world, reader, client_for, django_assert_max_num_queries
):
    school = world.schools["school_a"]
    few_exam = one_school_exam(world)
    many_exam = one_school_exam(world, n_per_class=(40, 35, 0, 0), seed=9)  # 75 > 50 a page
    c = client_for(reader)
    counts, shown = [], []
    for exam in (few_exam, many_exam):
        for query in ("", "&class_name=1班&sort=-exam_no"):
            url = f"/quality/{exam.pk}/students/?school={school.pk}&reason=review{query}"
            c.get(url)
            with django_assert_max_num_queries(15) as ctx:
                html = c.get(url).content.decode()
            counts.append(len(ctx.captured_queries))
            shown.append(len(exam_numbers(html)))
    assert shown == [26, 14, 50, 40]
    assert counts[:2] == counts[2:]


# --- the balance inputs ------------------------------------------------------------------------


def test_balance_export_imports_back_unchanged(world, client_for):
    b = world.schools["school_b"].org_unit.code
    c = world.schools["school_c"].org_unit.code
    head = ["学校代码", "学生数", "县级及以上骨干教师数", "教学仪器设备值"]
    admin = world.users["city_admin"]
    services.import_balance_inputs(
        actor=admin,
        data=xlsx_bytes([head, [b, 200, 3, 50000.5], [c, 300, 5, 80000]]),
        filename="b.xlsx",
    )
    assert BalanceInput.objects.count() == 2
    resp = client_for(admin).get("/quality/balance/?export=xlsx")
    assert resp.status_code == 200
    rows = read_xlsx(resp.content)
    assert rows[1][:3] == ["学校代码", "学校", "学生数"]
    assert sorted(r[0] for r in rows[2:]) == sorted([b, c])
    with context.write_context("web"):
        result = run_import(
            get_kind("balance_inputs")(actor=admin), resp.content, "export.xlsx", dry_run=True
        )
    assert result.errors == [] and result.rows == 2
    assert (result.created, result.updated) == (0, 0) and result.unchanged == 2


def test_score_sheet_kind_checks_the_importer(world, client_for):
    """Built for an import, the kind still refuses one who may not import into the exam."""
    from django.core.exceptions import PermissionDenied

    exam = make_exam(world, name="临渭区期中", owner=world.units["linwei"])
    with pytest.raises(PermissionDenied):
        ScoreSheet(actor=world.users["principal"], params={"exam": exam.pk})
    assert [c.header for c in ScoreSheet(params={"exam": exam.pk}).columns] == header()
