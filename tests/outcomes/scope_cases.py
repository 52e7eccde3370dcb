"""Scope cases of outcomes: an outcome of 华州区第一小学 with its file, a selection round
run by 华州区教育局 with the outcome recommended by the school and selected by 华州区, an
expert's score, a promotion record and an adoption within 华州区, and 华州区教育局's point
table — each invisible to 临渭区."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.outcomes.models import (
    Adoption,
    Entry,
    ExpertScore,
    Outcome,
    OutcomeFile,
    PointRule,
    Promotion,
    SelectionRound,
)
from tests.conftest import make_person, make_school
from tests.outcomes.conftest import PDF
from tests.scope_cases import ScopeCase, register

TITLE = "华州区小学整本书阅读典型案例"


def _person(w, staff_no, name, unit, role, username):
    from jiaoyan.people.models import Person

    found = Person.objects.filter(staff_no=staff_no).first()
    return found or make_person(staff_no, name, unit, role=role, username=username)


def huazhou_outcome(w) -> Outcome:
    from jiaoyan.outcomes import services

    found = Outcome.objects.filter(title=TITLE).first()
    if found is not None:
        return found
    author = _person(
        w, "H311", "华州成果作者", w.schools["school_c"].org_unit, "teacher", "hz_outcome_author"
    )
    o = services.create_outcome(
        actor=author.user,
        org_unit=w.schools["school_c"].org_unit,
        kind="case",
        title=TITLE,
        year=timezone.localdate().year,
    )
    services.attach_file(actor=author.user, outcome=o, file=SimpleUploadedFile("案例.pdf", PDF))
    return o


def huazhou_round(w) -> SelectionRound:
    from jiaoyan.outcomes import rounds

    found = SelectionRound.objects.filter(title="华州区典型案例遴选").first()
    today = timezone.localdate()
    return found or rounds.create_round(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        title="华州区典型案例遴选",
        kinds=["case"],
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
    )


def city_round(w) -> SelectionRound:
    from jiaoyan.outcomes import rounds

    found = SelectionRound.objects.filter(title="渭南市典型案例遴选（范围）").first()
    today = timezone.localdate()
    return found or rounds.create_round(
        actor=w.users["city_admin"],
        org_unit=w.units["city_bureau"],
        title="渭南市典型案例遴选（范围）",
        kinds=["case"],
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
    )


def huazhou_entry(w) -> Entry:
    """In the city's round, 华州区第一小学 recommended its case to 华州区, which sent it on
    to 渭南市: seen by 华州区 and the city, never by 临渭区."""
    from jiaoyan.outcomes import rounds

    r, o = city_round(w), huazhou_outcome(w)
    found = Entry.objects.filter(round=r, outcome=o, level="county").first()
    if found is not None:
        return found
    principal = _person(
        w,
        "H313",
        "华州成果校长",
        w.schools["school_c"].org_unit,
        "principal",
        "hz_outcome_principal",
    )
    rounds.recommend(actor=principal.user, round=r, outcome=o)
    return rounds.recommend(actor=w.users["outsider"], round=r, outcome=o)


def huazhou_score(w) -> ExpertScore:
    """The outsider scores 华州区's entry as the city's expert."""
    from jiaoyan.outcomes import rounds

    entry = huazhou_entry(w)
    found = ExpertScore.objects.filter(entry=entry).first()
    return found or rounds.assign_expert(
        actor=w.users["city_admin"], entry=entry, expert=w.people["outsider"]
    )


def _promotion(w) -> Promotion:
    from jiaoyan.outcomes import services

    return services.record_promotion(
        actor=w.users["outsider"],
        outcome=huazhou_outcome(w),
        org_unit=w.units["huazhou"],
        date=timezone.localdate(),
        event="华州区阅读教学现场会",
        participants=60,
    )


def _adoption(w) -> Adoption:
    from jiaoyan.orgs.models import OrgUnit
    from jiaoyan.outcomes import services

    other = (
        OrgUnit.objects.filter(code="6105030077").first()
        or make_school("6105030077", "华州区第七小学", w.units["huazhou"]).org_unit
    )
    return services.record_adoption(
        actor=w.users["outsider"],
        outcome=huazhou_outcome(w),
        org_unit=other,
        adopted_on=timezone.localdate(),
        feedback="华州区第七小学的反馈",
    )


def _rule(w) -> PointRule:
    from jiaoyan.outcomes import services

    return services.set_point_rule(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        code="adopted",
        points=3,
        label="华州区成果被采纳",
    )


register(
    ScopeCase(
        Outcome,
        huazhou_outcome,
        page=lambda o: f"/outcomes/{o.pk}/",
        list_page="/outcomes/",
        api=lambda o: f"/api/v1/outcomes/{o.pk}",
        api_list="/api/v1/outcomes",
        marker=lambda o: o.title,
    )
)
register(
    ScopeCase(
        OutcomeFile,
        lambda w: huazhou_outcome(w).files.first(),
        page=lambda f: f"/outcomes/files/{f.pk}/",
        marker=lambda f: f.name,
    )
)
register(
    ScopeCase(
        SelectionRound,
        huazhou_round,
        page=lambda r: f"/outcomes/rounds/{r.pk}/",
        list_page="/outcomes/rounds/",
        api=lambda r: f"/api/v1/selection-rounds/{r.pk}",
        api_list="/api/v1/selection-rounds",
        marker=lambda r: r.title,
    )
)
register(
    ScopeCase(
        Entry,
        huazhou_entry,
        api=lambda e: f"/api/v1/selection-entries/{e.pk}",
        api_list="/api/v1/selection-entries",
        marker=lambda e: e.outcome.title,
    )
)
register(
    ScopeCase(
        ExpertScore,
        huazhou_score,
        api=lambda s: f"/api/v1/expert-scores/{s.pk}",
        api_list="/api/v1/expert-scores",
        marker=lambda s: s.entry.outcome.title,
        actions=("delete",),
    )
)
register(
    ScopeCase(
        Promotion,
        _promotion,
        api=lambda p: f"/api/v1/outcome-promotions/{p.pk}",
        marker=lambda p: p.event,
    )
)
register(
    ScopeCase(
        Adoption,
        _adoption,
        api=lambda a: f"/api/v1/outcome-adoptions/{a.pk}",
        marker=lambda a: a.feedback,
    )
)
register(
    ScopeCase(
        PointRule,
        _rule,
        list_page="/outcomes/points/table/",
        api=lambda r: f"/api/v1/point-rules/{r.pk}",
        api_list="/api/v1/point-rules",
        marker=lambda r: r.label,
    )
)
