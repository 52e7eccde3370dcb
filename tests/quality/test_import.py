"""Score, item and balance-input imports: what real sheets contain is tolerated; every
wrong row is reported by row and column in Chinese and nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.quality import services
from jiaoyan.quality.models import BalanceInput, Candidate, Exam, ItemScore
from tests.quality.helpers import csv_bytes, header, make_exam, xlsx_bytes

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def exam(world):
    return make_exam(world)


def _codes(world):
    return (
        world.schools["school_a"].org_unit.code,
        world.schools["school_b"].org_unit.code,
        world.schools["school_c"].org_unit.code,
    )


def _import(world, exam, rows, *, filename="s.xlsx", title=None, **kw):
    data = (
        xlsx_bytes(rows, title=title)
        if filename.endswith(".xlsx")
        else csv_bytes(rows, kw.pop("encoding", "utf-8"))
    )
    return services.import_scores(
        actor=world.users["city_admin"], exam=exam, data=data, filename=filename, **kw
    )


def test_real_sheet_quirks_are_tolerated(world, exam):
    a, b, _c = _codes(world)
    rows = [
        [*header(with_name=True), "总分"],
        ["2025001", a, "1班", "男", "G1", "张三", "１０５", 98, "缺考", 300],
        [2025002, a, " 1班 ", "女", "", "李四", 88.5, None, 76, 0],
        ["２０２５００３", b, "（1）班", "", "G3", "王五", "", " 72 ", "缺考", 0],
    ]
    out = _import(world, exam, rows, title="2025年中考成绩（全市）")
    assert not out.errors, [str(e) for e in out.errors]
    assert out.imported == 3
    assert any("姓名" in n for n in out.notices)
    assert any("总分" in n for n in out.notices)
    cands = {x.exam_no: x for x in Candidate.objects.filter(exam=exam)}
    assert cands["2025001"].scores == [105.0, 98.0, None]
    assert cands["2025002"].scores == [88.5, None, 76.0]
    assert cands["2025002"].class_name == "1班"
    assert cands["2025002"].student_key == "2025002"  # no 学籍号: the exam number links
    assert cands["2025003"].class_name == "(1)班"
    assert cands["2025003"].scores == [None, 72.0, None]
    exam.refresh_from_db()
    assert exam.names_dropped and exam.candidates_count == 3
    assert exam.analysis_status == Exam.Status.PENDING
    stored = str(list(Candidate.objects.filter(exam=exam).values()))
    assert "张三" not in stored and "李四" not in stored


def test_csv_in_gb18030(world, exam):
    a, _b, _c = _codes(world)
    rows = [header(), ["1", a, "一班", "女", "", 100, 90, 80], ["2", a, "一班", "男", "", 1, 2, 3]]
    out = _import(world, exam, rows, filename="s.csv", encoding="gb18030")
    assert out.imported == 2 and not out.errors
    assert set(Candidate.objects.filter(exam=exam).values_list("class_name", flat=True)) == {"一班"}


def test_every_error_is_reported_and_nothing_is_written(world, exam):
    a, _b, _c = _codes(world)
    rows = [
        header(),
        ["1", a, "1班", "", "", 100, 90, 80],
        ["2", "9999999", "1班", "", "", 100, 90, 80],  # unknown school
        ["3", a, "1班", "", "", 121, 90, 80],  # above full marks (语文 120)
        ["1", a, "1班", "", "", 100, 90, 80],  # duplicate exam number
        ["5", a, "1班", "", "", 100, "九十", 80],  # not a number
        ["6", a, "", "", "", 100, 90, -1],  # class missing, negative
        ["7", a, "2班", "人", "", 100, 90, 80],  # gender
    ]
    out = _import(world, exam, rows)
    got = [(e.row, e.column) for e in out.errors]
    assert got == [
        (3, "学校代码"),
        (4, "语文"),
        (5, "考号"),
        (6, "数学"),
        (7, "班级"),
        (7, "英语"),
        (8, "性别"),
    ]
    messages = " ".join(e.message for e in out.errors)
    assert "不是" in messages and "满分" in messages and "重复" in messages
    assert out.imported == 0
    assert not Candidate.objects.filter(exam=exam).exists()
    # valid rows only: rows 2 (exam no 1) is the only valid one
    out = _import(world, exam, rows, valid_only=True)
    assert out.imported == 1
    assert list(Candidate.objects.filter(exam=exam).values_list("exam_no", flat=True)) == ["1"]


def test_reimport_of_the_same_file_changes_nothing(world, exam):
    a, _b, _c = _codes(world)
    rows = [header(), ["1", a, "1班", "", "", 100, 90, 80], ["2", a, "1班", "", "", 1, 2, 3]]
    _import(world, exam, rows)
    exam.refresh_from_db()
    ids, version = set(Candidate.objects.values_list("pk", flat=True)), exam.data_version
    out = _import(world, exam, rows)
    exam.refresh_from_db()
    assert out.unchanged and out.imported == 2
    assert set(Candidate.objects.values_list("pk", flat=True)) == ids
    assert exam.data_version == version


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"", "s.xlsx", "空"),
        (b"not a spreadsheet", "s.xlsx", ""),  # core's message (its catalogue translates it)
        (xlsx_bytes([["考号", "学校代码", "班级", "语文", "数学"]]), "s.xlsx", "英语"),
        (xlsx_bytes([["学号", "姓名"], ["1", "x"]]), "s.xlsx", "考号"),
    ],
)
def test_unreadable_files_say_why(world, exam, data, name, expected):
    with pytest.raises(ServiceError) as e:
        services.import_scores(actor=world.users["city_admin"], exam=exam, data=data, filename=name)
    assert expected in e.value.text
    assert not Candidate.objects.filter(exam=exam).exists()


def test_a_school_outside_the_exams_region_is_unknown(world):
    exam = make_exam(world, owner=world.units["linwei"], actor=world.users["district_researcher"])
    _a, _b, c = _codes(world)
    out = services.import_scores(
        actor=world.users["district_researcher"],
        exam=exam,
        data=xlsx_bytes([header(), ["1", c, "1班", "", "", 1, 2, 3]]),
        filename="s.xlsx",
    )
    assert [(e.row, e.column) for e in out.errors] == [(2, "学校代码")]


def test_only_managers_of_the_region_may_import(world, exam):
    a, _b, _c = _codes(world)
    data = xlsx_bytes([header(), ["1", a, "1班", "", "", 1, 2, 3]])
    for name in ("principal", "teacher", "outsider"):
        with pytest.raises(PermissionDenied):
            services.import_scores(actor=world.users[name], exam=exam, data=data, filename="s.xlsx")
    assert not Candidate.objects.exists()


def test_item_import(world, exam):
    a, _b, _c = _codes(world)
    _import(
        world,
        exam,
        [header(), ["1", a, "1班", "", "", 100, 90, 80], ["2", a, "1班", "", "", 1, 2, 3]],
    )
    english = exam.subjects.get(name="英语")
    head = ["考号", "姓名", "题1", "题2", "题3"]
    good = [head, ["满分", "", 2, 2, 1], ["1", "张三", 2, 1, ""], ["2", "李四", "缺考", "", ""]]
    out = services.import_items(
        actor=world.users["city_admin"],
        exam=exam,
        subject=english,
        data=xlsx_bytes(good),
        filename="i.xlsx",
    )
    assert out.imported == 2 and not out.errors
    assert any("姓名" in n for n in out.notices)
    assert any("满分" in n for n in out.notices)  # items add up to 5, the subject to 100
    scores = dict(ItemScore.objects.values_list("candidate__exam_no", "scores"))
    assert scores == {"1": [2.0, 1.0, 0.0], "2": None}
    assert list(english.items.values_list("label", "full_marks")) == [
        ("题1", 2.0),
        ("题2", 2.0),
        ("题3", 1.0),
    ]
    bad = [head, ["满分", "", 2, 2, 1], ["1", "", 3, 1, 0], ["9", "", 1, 1, 1], ["1", "", 1, 1, 1]]
    out = services.import_items(
        actor=world.users["city_admin"],
        exam=exam,
        subject=english,
        data=xlsx_bytes(bad),
        filename="i.xlsx",
    )
    assert [(e.row, e.column) for e in out.errors] == [(3, "题1"), (4, "考号"), (5, "考号")]
    assert ItemScore.objects.count() == 2  # unchanged
    with pytest.raises(ServiceError) as e:
        services.import_items(
            actor=world.users["city_admin"],
            exam=exam,
            subject=english,
            data=xlsx_bytes([head, ["1", "", 1, 1, 1]]),
            filename="i.xlsx",
        )
    assert "满分" in e.value.text


def test_item_scores_survive_a_reimport_of_the_scores(world, exam):
    a, _b, _c = _codes(world)
    rows = [header(), ["1", a, "1班", "", "", 100, 90, 80], ["2", a, "1班", "", "", 1, 2, 3]]
    _import(world, exam, rows)
    english = exam.subjects.get(name="英语")
    services.import_items(
        actor=world.users["city_admin"],
        exam=exam,
        subject=english,
        data=xlsx_bytes([["考号", "题1"], ["满分", 100], ["1", 80], ["2", 3]]),
        filename="i.xlsx",
    )
    rows[2][5] = 2
    _import(world, exam, rows)
    assert ItemScore.objects.filter(candidate__exam=exam).count() == 2


def test_balance_inputs_import(world):
    a, b, c = _codes(world)
    head = ["学校代码", "学生数", "县级及以上骨干教师数", "教学仪器设备值", "备注"]
    rows = [head, [a, 900, 12, "１２００００"], [b, 200, 3, 50000]]
    admin = world.users["city_admin"]
    out = services.import_balance_inputs(actor=admin, data=xlsx_bytes(rows), filename="b.xlsx")
    assert out.imported == 2 and not out.errors
    assert any("备注" in n for n in out.notices)
    assert BalanceInput.objects.get(school=world.schools["school_a"].org_unit).values == {
        "key_teachers": 12.0,
        "equipment_value": 120000.0,
    }
    again = services.import_balance_inputs(actor=admin, data=xlsx_bytes(rows), filename="b.xlsx")
    assert again.unchanged
    # the 临渭区 researcher is not an admin; the 华州区 admin cannot touch 临渭区 schools
    out = services.import_balance_inputs(
        actor=world.users["outsider"],
        data=xlsx_bytes([head, [a, 900, 1, 1], [c, 300, 0, "x"], [c, 300, 1, 1]]),
        filename="b.xlsx",
    )
    assert [(e.row, e.column) for e in out.errors] == [
        (2, "学校代码"),
        (3, "教学仪器设备值"),
        (4, "学校代码"),
    ]
    assert BalanceInput.objects.count() == 2
