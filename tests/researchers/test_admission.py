"""Admission (准入): a round's requirements must be checkable (refused in Chinese, nothing
written); the pre-check reads the people records; reviewers record the rest; the result
appoints — the researcher role from the start date and a profile — or not, with reasons,
and the candidate is told."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import Notification
from jiaoyan.core.roles import Role
from jiaoyan.people.models import Honour, Person, RoleAssignment
from jiaoyan.researchers import queries_admission
from jiaoyan.researchers import services_admission as services
from jiaoyan.researchers.models import (
    AdmissionApplication,
    AdmissionRound,
    ResearcherProfile,
)
from tests.researchers.admission_helpers import REQUIREMENTS, make_round, qualify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def _states(app) -> dict[str, tuple[str, str]]:
    return {c.kind: (c.state, c.found) for c in queries_admission.checks(app)}


# --- requirements must be checkable ---------------------------------------------------------


@pytest.mark.parametrize(
    ("requirements", "message"),
    [
        (
            [{"kind": "ethics", "text": "师德表现良好"}],
            "平台无法核验准入条件“ethics”：准入条件只能是教龄、职称或荣誉称号（从人事信息核验），"
            "或试讲、笔试、面试（由评审记录）。",
        ),
        (
            [{"kind": "honour", "honour": "other", "level": "city"}],
            "平台无法核验“其他荣誉”：人事信息中只以文字记载。请选择名师、骨干教师、学科带头人或名校长。",
        ),
        ([{"kind": "years", "years": 0}], "教龄请填写1至40之间的整数年数。"),
        ([{"kind": "years", "years": "五"}], "教龄请填写1至40之间的整数年数。"),
        ([{"kind": "title", "title": "none"}], "请选择可接受的最低职称。"),
        ([{"kind": "honour", "honour": "key_teacher"}], "请选择荣誉称号可接受的最低级别。"),
        ([{"kind": "demo_lesson", "pass_mark": 120}], "试讲的合格分请填写1至100之间的整数。"),
        ([{"kind": "interview"}, {"kind": "interview"}], "准入条件“面试”重复设置了。"),
        ([], "请至少设置一项准入条件。"),
    ],
)
def test_a_requirement_the_platform_cannot_check_is_refused(world, requirements, message):
    with pytest.raises(ServiceError) as e:
        make_round(world, requirements=requirements, publish=False)
    assert e.value.text == message
    assert e.value.field == "requirements"
    assert not AdmissionRound.objects.exists()


def test_requirements_are_kept_in_order_and_stated_in_chinese(world):
    rnd = make_round(world, requirements=list(reversed(REQUIREMENTS)))
    assert [r["kind"] for r in rnd.requirements] == [
        "years",
        "title",
        "honour",
        "demo_lesson",
        "interview",
    ]
    from jiaoyan.researchers.admission import describe

    assert [describe(r) for r in rnd.requirements] == [
        "教龄不少于5年",
        "职称为一级或以上",
        "骨干教师（县级或以上）",
        "试讲不低于80分",
        "面试合格",
    ]


def test_a_published_round_keeps_its_requirements(world):
    rnd = make_round(world)
    with pytest.raises(ServiceError, match="本轮已发布"):
        services.update_round(
            actor=world.users["city_admin"],
            round=rnd,
            data={"requirements": [{"kind": "interview"}]},
        )
    rnd.refresh_from_db()
    assert len(rnd.requirements) == 5


def test_only_the_bureau_opens_a_round(world):
    for who in ("district_researcher", "teacher", "outsider"):
        with pytest.raises(PermissionDenied):
            make_round(world, actor=world.users[who], publish=False)
    assert not AdmissionRound.objects.exists()


def test_the_institute_lies_in_the_bureaus_region(world):
    with pytest.raises(ServiceError) as e:
        make_round(world, institute=world.units["city_institute"], publish=False)
    assert e.value.text == "所选教研机构不在该局所辖区域内。"
    assert not AdmissionRound.objects.exists()


# --- the pre-check reads the people records -------------------------------------------------


def test_precheck_reads_title_years_and_honours_from_the_people_records(world):
    rnd = make_round(world)
    teacher = world.people["teacher"]
    Person.objects.filter(pk=teacher.pk).update(
        teaching_since=dt.date(2021, 9, 1), professional_title="second"
    )
    app = services.apply(actor=world.users["teacher"], round=rnd, statement="一直任教初中数学")
    states = _states(app)
    # Counted to the round's closing day (2025-07-15): 3 full years, 二级, no honour.
    assert states["years"] == ("fail", "3年（2021-09-01参加教育工作）")
    assert states["title"] == ("fail", "二级")
    assert states["honour"] == ("fail", "无记录")
    assert states["demo_lesson"] == ("pending", "尚未记录")
    assert states["interview"] == ("pending", "尚未记录")

    # The records change (an import, a promotion): the pre-check follows them.
    qualify(teacher, since=dt.date(2020, 7, 15), title="senior", honour="city")
    app = AdmissionApplication.objects.get(pk=app.pk)
    states = _states(app)
    assert states["years"] == ("pass", "5年（2020-07-15参加教育工作）")
    assert states["title"] == ("pass", "高级")
    assert states["honour"] == ("pass", "骨干教师（市级，2022）")


def test_a_missing_date_or_a_lower_honour_fails(world):
    rnd = make_round(world)
    teacher = world.people["teacher"]
    Honour.objects.create(person=teacher, title="key_teacher", level="school", year=2023)
    app = services.apply(actor=world.users["teacher"], round=rnd, statement="申请")
    states = _states(app)
    assert states["years"] == ("fail", "人事信息中没有参加教育工作时间")
    assert states["title"] == ("pass", "一级")  # the world's people are 一级
    assert states["honour"] == ("fail", "骨干教师（校级，2023）")


# --- applying -------------------------------------------------------------------------------


def test_apply_with_evidence_and_the_rules_of_applying(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    rnd = make_round(world)
    app = services.apply(
        actor=world.users["teacher"],
        round=rnd,
        statement="申请",
        evidence=[SimpleUploadedFile("骨干教师证书.pdf", b"%PDF-1.4 certificate")],
    )
    assert [e.file_name for e in app.evidence.all()] == ["骨干教师证书.pdf"]
    with pytest.raises(ServiceError) as e:
        services.apply(actor=world.users["teacher"], round=rnd, statement="再报一次")
    assert e.value.text == "您已报名本轮准入。"
    # 华州区's teacher has no account; the outsider's district is not the round's.
    with pytest.raises((ServiceError, PermissionDenied)):
        services.apply(actor=world.users["outsider"], round=rnd, statement="申请")
    # A serving researcher does not apply again.
    from jiaoyan.researchers import services as researcher_services

    researcher_services.create_profile(
        actor=world.users["city_admin"],
        person=world.people["district_researcher"],
        org_unit=world.units["linwei_institute"],
    )
    with pytest.raises(ServiceError) as e:
        services.apply(actor=world.users["district_researcher"], round=rnd, statement="申请")
    assert e.value.text == "您已是在任教研员。"
    assert AdmissionApplication.objects.count() == 1


def test_a_file_that_is_a_program_is_refused_and_nothing_written(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    rnd = make_round(world)
    with pytest.raises(ServiceError):
        services.apply(
            actor=world.users["teacher"],
            round=rnd,
            statement="申请",
            evidence=[SimpleUploadedFile("证书.exe", b"MZ")],
        )
    assert not AdmissionApplication.objects.exists()


def test_no_application_outside_the_window_or_to_a_draft(world):
    draft = make_round(world, publish=False)
    with pytest.raises(ServiceError) as e:
        services.apply(actor=world.users["teacher"], round=draft, statement="申请")
    assert e.value.text == "本轮准入在开放期间（2025-06-01至2025-07-15）接受报名。"
    rnd = make_round(world, title="另一轮")
    with (
        time_machine.travel(dt.datetime(2025, 7, 16, 9, 0), tick=False),
        pytest.raises(ServiceError),
    ):
        services.apply(actor=world.users["teacher"], round=rnd, statement="申请")
    assert not AdmissionApplication.objects.exists()


# --- reviewers and the result ----------------------------------------------------------------


def _qualified_application(world):
    rnd = make_round(world)
    qualify(world.people["teacher"])
    return rnd, services.apply(actor=world.users["teacher"], round=rnd, statement="申请")


def test_reviewers_record_the_rest_with_comments(world):
    _rnd, app = _qualified_application(world)
    reviewer = world.users["district_researcher"]
    app = services.record_review(
        actor=reviewer, application=app, kind="demo_lesson", score="86.5", comment="目标清晰"
    )
    app = services.record_review(
        actor=reviewer, application=app, kind="interview", passed=True, comment="表达流畅"
    )
    states = _states(app)
    assert states["demo_lesson"] == ("pass", "86.5分（目标清晰）")
    assert states["interview"] == ("pass", "合格（表达流畅）")
    with pytest.raises(ServiceError) as e:
        services.record_review(actor=reviewer, application=app, kind="written_test", score=90)
    assert e.value.text == "本轮没有这一项；评审记录的是：试讲、面试。"
    with pytest.raises(ServiceError) as e:
        services.record_review(actor=reviewer, application=app, kind="demo_lesson", score=101)
    assert e.value.text == "请填写0至100之间的分数。"
    # The candidate does not review herself; a principal does not review at all.
    for who in ("teacher", "principal", "outsider"):
        with pytest.raises(PermissionDenied):
            services.record_review(
                actor=world.users[who], application=app, kind="demo_lesson", score=100
            )
    app.refresh_from_db()
    assert app.reviews["demo_lesson"]["score"] == 86.5


def test_appointment_creates_the_role_from_the_start_date_and_a_profile(world):
    _rnd, app = _qualified_application(world)
    teacher = world.people["teacher"]
    admin = world.users["city_admin"]
    services.record_review(actor=admin, application=app, kind="demo_lesson", score=88)
    services.record_review(actor=admin, application=app, kind="interview", passed=True)
    with pytest.raises(PermissionDenied):
        services.decide_application(
            actor=world.users["district_researcher"], application=app, appoint=True
        )
    app = services.decide_application(
        actor=admin,
        application=app,
        appoint=True,
        reasons="各项条件均符合",
        start_date=dt.date(2025, 6, 20),
    )
    assert app.status == AdmissionApplication.Status.APPOINTED
    ra = RoleAssignment.objects.get(person=teacher, role=Role.RESEARCHER, is_active=True)
    assert app.role_assignment == ra
    assert ra.org_unit == world.units["linwei"]
    assert ra.created_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date() == dt.date(
        2025, 6, 20
    )
    assert [s.name for s in ra.subjects.all()] == ["数学"]
    profile = ResearcherProfile.objects.get(person=teacher)
    assert profile.org_unit == world.units["linwei_institute"]
    assert profile.since == dt.date(2025, 6, 20)
    # Full-time: she moved to the institute (her teacher role ended, history kept).
    teacher.refresh_from_db()
    assert teacher.org_unit == world.units["linwei_institute"]
    assert not RoleAssignment.objects.filter(person=teacher, role=Role.TEACHER, is_active=True)
    # The pre-check is kept as it was judged.
    assert [c["state"] for c in app.checks] == ["pass"] * 5


def test_the_candidate_is_told_the_result(world, django_capture_on_commit_callbacks):
    _rnd, app = _qualified_application(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_application(
            actor=world.users["city_admin"],
            application=app,
            appoint=False,
            reasons="试讲未安排，下一轮再报",
        )
    note = Notification.objects.get(recipient=world.users["teacher"])
    assert note.title == "您的准入申请有了结果：2025年临渭区初中数学教研员准入"
    app.refresh_from_db()
    assert app.status == AdmissionApplication.Status.NOT_APPOINTED
    assert not RoleAssignment.objects.filter(
        person=world.people["teacher"], role=Role.RESEARCHER
    ).exists()


def test_no_appointment_with_a_requirement_unmet_or_pending(world):
    rnd = make_round(world)
    teacher = qualify(world.people["teacher"], title="second")
    app = services.apply(actor=world.users["teacher"], round=rnd, statement="申请")
    admin = world.users["city_admin"]
    start = dt.date(2025, 6, 20)
    with pytest.raises(ServiceError) as e:
        services.decide_application(actor=admin, application=app, appoint=True, start_date=start)
    assert e.value.text == "请先记录：试讲、面试。"
    services.record_review(actor=admin, application=app, kind="demo_lesson", score=70)
    services.record_review(actor=admin, application=app, kind="interview", passed=True)
    with pytest.raises(ServiceError) as e:
        services.decide_application(actor=admin, application=app, appoint=True, start_date=start)
    assert e.value.text == "未满足全部准入条件：职称为一级或以上；试讲不低于80分。"
    with pytest.raises(ServiceError) as e:
        services.decide_application(actor=admin, application=app, appoint=False)
    assert e.value.text == "请填写不予聘任的理由。"
    app.refresh_from_db()
    assert app.status == AdmissionApplication.Status.SUBMITTED
    assert not RoleAssignment.objects.filter(person=teacher, role=Role.RESEARCHER).exists()
    assert not ResearcherProfile.objects.filter(person=teacher).exists()


def test_the_start_date_and_the_places_hold(world):
    rnd, app = _qualified_application(world)
    admin = world.users["city_admin"]
    services.record_review(actor=admin, application=app, kind="demo_lesson", score=95)
    services.record_review(actor=admin, application=app, kind="interview", passed=True)
    for start, message in (
        (None, "请填写任职起始日期。"),
        (dt.date(2025, 9, 1), "任职起始日期应为今天或更早：请在聘任生效时记录结果。"),
        (dt.date(2025, 5, 1), "任职起始日期不能早于本轮开始报名的日期（2025-06-01）。"),
    ):
        with pytest.raises(ServiceError) as e:
            services.decide_application(
                actor=admin, application=app, appoint=True, start_date=start
            )
        assert e.value.text == message
    AdmissionRound.objects.filter(pk=rnd.pk).update(places=1)
    other = qualify(world.people["teacher_b"])
    from jiaoyan.people.models import User

    other.user = User.objects.create_user("liu", password="jiaoyan-demo")
    other.save()
    other_app = services.apply(actor=other.user, round=rnd, statement="申请")
    services.record_review(actor=admin, application=other_app, kind="demo_lesson", score=90)
    services.record_review(actor=admin, application=other_app, kind="interview", passed=True)
    services.decide_application(
        actor=admin, application=other_app, appoint=True, start_date=dt.date(2025, 6, 30)
    )
    with pytest.raises(ServiceError) as e:
        services.decide_application(
            actor=admin, application=app, appoint=True, start_date=dt.date(2025, 6, 30)
        )
    assert e.value.text == "本轮的1个名额已满。"
    assert RoleAssignment.objects.filter(role=Role.RESEARCHER, is_active=True).count() == 2


def test_part_time_appointee_keeps_teaching_at_her_school(world):
    rnd = make_round(world, employment="part_time")
    teacher = qualify(world.people["teacher"])
    app = services.apply(actor=world.users["teacher"], round=rnd, statement="申请")
    admin = world.users["city_admin"]
    services.record_review(actor=admin, application=app, kind="demo_lesson", score=90)
    services.record_review(actor=admin, application=app, kind="interview", passed=True)
    services.decide_application(
        actor=admin, application=app, appoint=True, start_date=dt.date(2025, 6, 30)
    )
    teacher.refresh_from_db()
    assert teacher.org_unit == world.schools["school_a"].org_unit
    assert RoleAssignment.objects.filter(person=teacher, role=Role.TEACHER, is_active=True)
    profile = ResearcherProfile.objects.get(person=teacher)
    assert profile.employment == "part_time"
    assert profile.school == world.schools["school_a"].org_unit


def test_a_decided_application_is_not_reviewed_or_withdrawn(world):
    _rnd, app = _qualified_application(world)
    admin = world.users["city_admin"]
    services.decide_application(actor=admin, application=app, appoint=False, reasons="名额已满")
    with pytest.raises(ServiceError) as e:
        services.record_review(actor=admin, application=app, kind="interview", passed=True)
    assert e.value.text == "该申请未聘任，不再评审。"
    with pytest.raises(PermissionDenied):
        services.withdraw_application(actor=world.users["teacher"], application=app)


def test_who_sees_rounds_and_applications(world):
    rnd, app = _qualified_application(world)
    draft = make_round(world, title="草稿轮次", publish=False)
    # The candidate sees the published round and her own application; not the draft.
    teacher = world.users["teacher"]
    assert set(queries_admission.rounds_for(teacher)) == {rnd}
    assert list(queries_admission.applications_for(teacher)) == [app]
    # A principal of the region sees the round, no one's application.
    assert set(queries_admission.rounds_for(world.users["principal"])) == {rnd}
    assert not queries_admission.applications_for(world.users["principal"]).exists()
    # The district's researchers (reviewers) and the bureau see both rounds and the app.
    for who in ("district_researcher", "city_admin"):
        assert set(queries_admission.rounds_for(world.users[who])) == {rnd, draft}
        assert list(queries_admission.applications_for(world.users[who])) == [app]
    # 华州区 sees nothing.
    assert not queries_admission.rounds_for(world.users["outsider"]).exists()
    assert not queries_admission.applications_for(world.users["outsider"]).exists()


def test_admission_figures_in_the_metric_registry(world):
    from jiaoyan.core import metrics

    rnd, app = _qualified_application(world)
    admin = world.users["city_admin"]
    services.record_review(actor=admin, application=app, kind="demo_lesson", score=90)
    services.record_review(actor=admin, application=app, kind="interview", passed=True)
    services.decide_application(
        actor=admin, application=app, appoint=True, start_date=dt.date(2025, 6, 30)
    )
    other = make_round(world, title="另一轮")
    services.withdraw_application(
        actor=world.users["district_researcher"],
        application=services.apply(
            actor=world.users["district_researcher"], round=other, statement="申请"
        ),
    )
    year = metrics.Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    values = {
        v.metric.key: v.value
        for v in metrics.compute_many(
            ["researchers.admission_applications", "researchers.admission_appointed"],
            world.units["linwei"],
            year,
        )
    }
    assert values == {
        "researchers.admission_applications": 1,
        "researchers.admission_appointed": 1,
    }
    earlier = metrics.Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert (
        metrics.compute("researchers.admission_applications", world.units["linwei"], earlier).value
        == 0
    )
    assert (
        metrics.compute("researchers.admission_applications", world.units["huazhou"], year).value
        == 0
    )
    assert rnd.pk != other.pk
