"""Scope cases of the hours models: every row belongs to 华州区.

The "My hours" page lists only the viewer's own records, so it could never show another
district's; the API list with ``mine=false`` lists every record the user may see, and
filtered by the person it would single the row out. Categories and policies are a bureau's
(华州区教育局) and seen only below it; cycles, declarations and certificates are those of
华州区's people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.activities import services
from jiaoyan.hours import certificates
from jiaoyan.hours import services as hours
from jiaoyan.hours.models import (
    Certificate,
    ExternalDeclaration,
    HoursCategory,
    HoursCycle,
    HoursPolicy,
    HoursRecord,
)
from tests.activities.scope_cases import _activity, _attended
from tests.scope_cases import ScopeCase, register


def _hours(w) -> HoursRecord:
    p = _attended(w)
    services.finish_activity(actor=w.users["outsider"], activity=p.activity)
    return HoursRecord.objects.get(person=p.person)


register(
    ScopeCase(
        HoursRecord,
        _hours,
        api=lambda h: f"/api/v1/hours/{h.pk}",
        api_list=lambda h: f"/api/v1/hours?mine=false&person={h.person_id}&limit=500",
        marker=lambda h: h.title,
        actions=("change", "delete"),
    )
)


register(
    ScopeCase(
        HoursCategory,
        lambda w: hours.create_category(
            actor=w.users["outsider"],
            org_unit=w.units["huazhou_bureau"],
            code="SD",
            name="华州师德师风",
        ),
        list_page="/hours/settings/",
        api=lambda c: f"/api/v1/hours-categories/{c.pk}",
        api_list="/api/v1/hours-categories?limit=500",
        marker=lambda c: c.name,
    )
)


register(
    ScopeCase(
        HoursPolicy,
        lambda w: hours.set_policy(
            actor=w.users["outsider"],
            org_unit=w.units["huazhou_bureau"],
            cycle_years=5,
            first_cycle_year=2024,
            required_hours="246.5",
            hours_per_credit="10",
        ),
        list_page="/hours/settings/",
        marker=lambda p: "246.5",
    )
)


def _cycle(w) -> HoursCycle:
    person = w.people["outsider"]  # an account: GET /api/v1/hours-cycle answers them
    hours.refresh_cycles([person.pk])
    return HoursCycle.objects.get(person=person, is_current=True)


register(
    ScopeCase(
        HoursCycle,
        _cycle,
        page=lambda c: f"/hours/people/{c.person_id}/",
        list_page="/hours/behind/",
        api=lambda c: f"/api/v1/hours-cycles/{c.pk}",
        api_list=lambda c: f"/api/v1/hours-cycles?person={c.person_id}&limit=500",
        marker=lambda c: c.person.name,
        actions=("change", "delete"),
    )
)


def _declaration(w) -> ExternalDeclaration:
    return hours.declare_external(
        actor=w.users["outsider"],
        title="华州区校外心理健康研修班",
        organiser="某师范大学",
        start_date=dt.date(2025, 5, 6),
        end_date=dt.date(2025, 5, 8),
        hours="12",
        evidence=SimpleUploadedFile("证书.pdf", b"%PDF-1.4 evidence"),
    )


register(
    ScopeCase(
        ExternalDeclaration,
        _declaration,
        page=lambda d: f"/hours/declarations/{d.pk}/",
        list_page="/hours/declarations/",
        api=lambda d: f"/api/v1/hours-declarations/{d.pk}",
        api_list=lambda d: f"/api/v1/hours-declarations?person={d.person_id}&limit=500",
        marker=lambda d: d.title,
        actions=("change", "delete"),
    )
)


def _certificate(w) -> Certificate:
    activity = _activity(w)
    certificates.issue_for_source(
        activity,
        person_ids=[w.people["teacher_c"].pk],
        title="华州区骨干教师研修班",
        issuer_id=w.units["huazhou_bureau"].pk,
        issued_on=dt.date(2026, 3, 18),
        hours_by_person={w.people["teacher_c"].pk: Decimal("24")},
    )
    return Certificate.objects.get(person=w.people["teacher_c"])


register(
    ScopeCase(
        Certificate,
        _certificate,
        api=lambda c: f"/api/v1/certificates/{c.pk}",
        marker=lambda c: c.code,
        actions=("change", "delete"),
    )
)
