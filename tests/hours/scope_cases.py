"""Scope case of hours records: the hours a teacher of 华州区 earned at a finished activity
of 华州区 are invisible to 临渭区.

The "My hours" page lists only the viewer's own records, so it could never show another
district's; the API list with ``mine=false`` lists every record the user may see, and
filtered by the person it would single the row out."""

from __future__ import annotations

from jiaoyan.activities import services
from jiaoyan.hours.models import HoursCategory, HoursRecord
from tests.activities.scope_cases import _attended
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
        lambda w: HoursCategory.objects.create(
            org_unit=w.units["huazhou_bureau"], code="SD", name="师德师风"
        ),
    )
)
