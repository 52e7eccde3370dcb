"""Scope cases of the activities models: each row belongs to 华州区
(organised by its bureau, whose admin is the ``outsider``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiaoyan.activities import services
from jiaoyan.activities.models import (
    Activity,
    Decision,
    Feedback,
    Material,
    MonthlyTheme,
    Participation,
    ResearchPlan,
    Venue,
)
from tests.scope_cases import ScopeCase, register


def _plan(w):
    plan = services.create_plan(
        actor=w.users["outsider"], org_unit=w.units["huazhou"], year=2025, title="华州区研修计划"
    )
    services.add_theme(actor=w.users["outsider"], plan=plan, month=3, title="华州三月主题")
    services.publish_plan(actor=w.users["outsider"], plan=plan)
    return plan


def _theme(w):
    return _plan(w).themes.get()


def _activity(w, **kw):
    start = timezone.now() + dt.timedelta(days=3)
    return services.create_activity(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        title="华州区小学数学同课异构",
        kind=Activity.Kind.SAME_LESSON,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        hours=2,
        venue_name="华州区一小礼堂",
        venue_address="华州区某路",
        **kw,
    )


def _started(w):
    a = _activity(w)
    services.invite(actor=w.users["outsider"], activity=a, person_ids=[w.people["teacher_c"].pk])
    services.publish_activity(actor=w.users["outsider"], activity=a)
    services.start_activity(actor=w.users["outsider"], activity=a)
    return a


def _participation(w):
    a = _started(w)
    return Participation.objects.get(activity=a)


def _attended(w):
    p = _participation(w)
    services.mark_attendance(
        actor=w.users["outsider"], activity=p.activity, marks={p.pk: "present"}
    )
    return p


def _feedback(w):
    p = _attended(w)
    return Feedback.objects.create(
        activity=p.activity, person=p.person, rating=4, comment="华州反馈"
    )


def _material(w):
    return services.add_material(
        actor=w.users["outsider"],
        activity=_activity(w),
        phase="before",
        kind="slides",
        title="华州课件",
        url="https://example.org/slides",
    )


def _decision(w):
    return services.add_decision(actor=w.users["outsider"], activity=_started(w), text="华州决定")


register(
    ScopeCase(
        ResearchPlan,
        _plan,
        page=lambda p: f"/activities/plans/{p.pk}/",
        list_page="/activities/plans/",
        api=lambda p: f"/api/v1/plans/{p.pk}",
        api_list="/api/v1/plans?limit=500",
        marker=lambda p: p.title,
        actions=("change",),
    )
)
register(
    ScopeCase(
        MonthlyTheme,
        _theme,
        page=lambda t: f"/activities/themes/{t.pk}/",
        api=lambda t: f"/api/v1/themes/{t.pk}",
        marker=lambda t: t.title,
    )
)
register(
    ScopeCase(
        Activity,
        _activity,
        page=lambda a: f"/activities/{a.pk}/",
        list_page="/activities/",
        api=lambda a: f"/api/v1/activities/{a.pk}",
        api_list="/api/v1/activities?limit=500",
        marker=lambda a: a.title,
    )
)
register(
    ScopeCase(
        Venue,
        lambda w: _activity(w).venues.get(),
        page=lambda v: f"/activities/venues/{v.pk}/",
        api=lambda v: f"/api/v1/venues/{v.pk}",
        marker=lambda v: v.name,
    )
)
register(
    ScopeCase(
        Participation,
        _participation,
        api=lambda p: f"/api/v1/participations/{p.pk}",
        api_list="/api/v1/participations?limit=500",
        actions=("change", "delete"),
    )
)
register(
    ScopeCase(
        Material,
        _material,
        page=lambda m: f"/activities/materials/{m.pk}/",
        page_status=302,  # a link material sends the viewer on to its URL
        api=lambda m: f"/api/v1/materials/{m.pk}",
        marker=lambda m: m.title,
    )
)
register(
    ScopeCase(
        Decision,
        _decision,
        api=lambda d: f"/api/v1/decisions/{d.pk}",
        marker=lambda d: d.text,
    )
)
register(ScopeCase(Feedback, _feedback, actions=("change", "delete")))
