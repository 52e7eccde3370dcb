"""Scope cases of training: a programme of 华州区's bureau (the ``outsider``) with its
session, quota, enrolment, attendance, assignment, submission and feedback is invisible
to 临渭区 — to its researchers, principals and teachers alike."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person
from jiaoyan.training import services
from jiaoyan.training.models import (
    Assignment,
    Attendance,
    Enrolment,
    Feedback,
    Programme,
    Quota,
    Session,
    Submission,
)
from tests.conftest import make_person
from tests.scope_cases import ScopeCase, register

TITLE = "华州区小学班主任培训"
START = dt.datetime(2025, 5, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def huazhou_programme(w) -> Programme:
    found = Programme.objects.filter(title=TITLE).first()
    if found is not None:
        return found
    outsider = w.users["outsider"]
    p = services.create_programme(
        actor=outsider,
        org_unit=w.units["huazhou_bureau"].pk,
        title=TITLE,
        cohorts=["teacher"],
        tier="new",
        format="face",
        mode="nomination",
    )
    services.add_session(
        actor=outsider,
        programme=p,
        title="华州区第一讲",
        starts_at=START,
        ends_at=START + dt.timedelta(hours=3),
        hours=3,
        place="华州区教育局",
    )
    services.open_programme(actor=outsider, programme=p)
    return Programme.objects.get(pk=p.pk)


def _participant(w) -> Person:
    found = Person.objects.filter(staff_no="H102").first()
    return found or make_person(
        "H102", "华州老师", w.schools["school_c"].org_unit, role="teacher", username="hz_teacher"
    )


def _quota(w) -> Quota:
    p = huazhou_programme(w)
    school = OrgUnit.objects.get(code="6105030001")
    return services.set_quota(actor=w.users["outsider"], programme=p, school=school.code, seats=5)


def _enrolment(w) -> Enrolment:
    _quota(w)
    p = huazhou_programme(w)
    person = _participant(w)
    found = Enrolment.objects.filter(programme=p, person=person).first()
    return found or services.nominate(actor=w.users["outsider"], programme=p, person="H102")


def _attendance(w) -> Attendance:
    e = _enrolment(w)
    session = e.programme.sessions.first()
    services.write_attendance(session, {e.person_id: ("present", START)}, actor=None)
    return Attendance.objects.get(session=session, person=e.person)


def _assignment(w) -> Assignment:
    p = huazhou_programme(w)
    return services.add_assignment(
        actor=w.users["outsider"],
        programme=p,
        title="华州区班会设计",
        deadline=timezone.now() + dt.timedelta(days=30),
    )


def _submission(w) -> Submission:
    e = _enrolment(w)
    a = _assignment(w)
    return services.submit(
        actor=e.person.user,
        assignment=a,
        text="华州区的班会设计",
        file=SimpleUploadedFile("华州区班会设计.pdf", b"%PDF-1.4 design"),
    )


def _feedback(w) -> Feedback:
    e = _enrolment(w)
    return services.give_feedback(
        actor=e.person.user, programme=e.programme, rating=4, comment="华州区培训很好"
    )


register(
    ScopeCase(
        Programme,
        huazhou_programme,
        page=lambda p: f"/training/{p.pk}/",
        list_page="/training/",
        api=lambda p: f"/api/v1/programmes/{p.pk}",
        api_list="/api/v1/programmes",
        marker=lambda p: p.title,
    )
)
register(
    ScopeCase(
        Session,
        lambda w: huazhou_programme(w).sessions.first(),
        page=lambda s: f"/training/sessions/{s.pk}/checkin/",
        api=lambda s: f"/api/v1/training-sessions/{s.pk}",
        marker=lambda s: s.title,
    )
)
register(
    ScopeCase(
        Quota,
        _quota,
        page=lambda q: f"/training/{q.programme_id}/nominations/",
        marker=lambda q: q.school.name,
    )
)
register(
    ScopeCase(
        Enrolment,
        _enrolment,
        api=lambda e: f"/api/v1/enrolments/{e.pk}",
        api_list=lambda e: f"/api/v1/enrolments?programme={e.programme_id}",
        marker=lambda e: e.person.name,
        actions=("change",),
    )
)
register(
    ScopeCase(
        Attendance,
        _attendance,
        api=lambda a: f"/api/v1/training-attendance/{a.pk}",
        api_list=lambda a: f"/api/v1/training-attendance?session={a.session_id}",
        marker=lambda a: a.person.name,
        actions=("change",),
    )
)
register(
    ScopeCase(
        Assignment,
        _assignment,
        page=lambda a: f"/training/assignments/{a.pk}/",
        api=lambda a: f"/api/v1/assignments/{a.pk}",
        api_list="/api/v1/assignments",
        marker=lambda a: a.title,
    )
)
register(
    ScopeCase(
        Submission,
        _submission,
        api=lambda s: f"/api/v1/submissions/{s.pk}",
        api_list="/api/v1/submissions",
        marker=lambda s: s.text,
        actions=("change",),
    )
)
register(
    ScopeCase(
        Feedback,
        _feedback,
        marker=lambda f: f.comment,
        actions=("change",),
    )
)
