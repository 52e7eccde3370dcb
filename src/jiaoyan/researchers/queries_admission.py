"""Reads of admission (准入): the rounds and applications a user sees, and each
application's pre-check against the people records (computed in one pass over a page of
applications: their people and honours are read once)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from jiaoyan.core.scope import can
from jiaoyan.people.models import Honour, Person

from . import admission
from .models import AdmissionApplication, AdmissionEvidence, AdmissionRound


def rounds_for(user) -> QuerySet[AdmissionRound]:
    return AdmissionRound.objects.visible_to(user).select_related(
        "org_unit", "institute", "subject", "stage"
    )


def applications_for(user) -> QuerySet[AdmissionApplication]:
    return AdmissionApplication.objects.visible_to(user).select_related(
        "round", "person", "person__org_unit", "org_unit"
    )


def with_counts(qs: QuerySet[AdmissionRound]) -> QuerySet[AdmissionRound]:
    """Rounds with their applications counted (submitted and appointed)."""
    live = ~Q(applications__status=AdmissionApplication.Status.WITHDRAWN)
    return qs.annotate(
        applied=Count("applications", filter=live),
        appointed=Count(
            "applications",
            filter=Q(applications__status=AdmissionApplication.Status.APPOINTED),
        ),
    )


def own_application(user, rnd: AdmissionRound) -> AdmissionApplication | None:
    return (
        AdmissionApplication.objects.filter(round=rnd, person__user_id=user.pk)
        .exclude(status=AdmissionApplication.Status.WITHDRAWN)
        .first()
    )


def evidence_for(user, application: AdmissionApplication) -> QuerySet[AdmissionEvidence]:
    return AdmissionEvidence.objects.visible_to(user).filter(application=application)


def checks(application: AdmissionApplication) -> list[admission.Check]:
    """The application's pre-check: as recorded with the result once decided, else from
    the person's records now."""
    if (
        application.status
        in (
            AdmissionApplication.Status.APPOINTED,
            AdmissionApplication.Status.NOT_APPOINTED,
        )
        and application.checks
    ):
        return [admission.Check(**c) for c in application.checks]
    person = application.person
    honours = getattr(person, "all_honours", None)
    if honours is None:
        honours = list(person.honours.all())
    return admission.precheck(
        application.round.requirements,
        person,
        honours,
        application.reviews,
        application.round.closes_on,
    )


def with_checks(applications: Iterable[AdmissionApplication]) -> list[AdmissionApplication]:
    """The applications with ``.precheck`` (their checks) and ``.passed``/``.failed``/
    ``.pending`` counts; the people's honours are read in one query."""
    apps = list(applications)
    ids = {a.person_id for a in apps}
    honours: dict[int, list[Honour]] = {i: [] for i in ids}
    for h in Honour.objects.filter(person_id__in=ids):
        honours[h.person_id].append(h)
    for a in apps:
        a.person.all_honours = honours.get(a.person_id, [])
        a.precheck = checks(a)
        states = [c.state for c in a.precheck]
        a.passed = states.count(admission.PASS)
        a.failed = states.count(admission.FAIL)
        a.pending = states.count(admission.PENDING)
    return apps


def may_apply(user, rnd: AdmissionRound) -> bool:
    """Whether the page offers ``user`` the application form of ``rnd`` (the service
    decides in the end)."""
    person = Person.objects.filter(user_id=user.pk, status=Person.Status.ACTIVE).first()
    if person is None or rnd.status != AdmissionRound.Status.OPEN:
        return False
    probe = AdmissionApplication(round=rnd, person=person, org_unit_id=rnd.org_unit_id)
    return can(user, "add", probe) and own_application(user, rnd) is None
