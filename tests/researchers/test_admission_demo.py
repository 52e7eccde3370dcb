"""The admission demo step on the test world: this year's open round of each region with
a bureau and an institute, last year's decided one of the city, candidates from the
region's teachers (the demo teacher among them) — seeded, so the same twice."""

from __future__ import annotations

import random

import pytest

from jiaoyan.core.demo import SCALES, DemoContext
from jiaoyan.core.roles import Role
from jiaoyan.people.models import RoleAssignment
from jiaoyan.researchers import queries_admission
from jiaoyan.researchers.demo import build_admission
from jiaoyan.researchers.models import AdmissionApplication, AdmissionRound, ResearcherProfile

pytestmark = pytest.mark.django_db


def _run(seed: int = 3) -> None:
    ctx = DemoContext(
        scale=SCALES["small"], seed=seed, password="x", rng=random.Random(seed), log=lambda m: None
    )
    build_admission(ctx)


def test_rounds_with_candidates(world):
    _run()
    rounds = AdmissionRound.objects.order_by("pk")
    assert {(r.org_unit.name, r.status) for r in rounds} == {
        ("渭南市教育局", "open"),
        ("临渭区教育局", "open"),
        ("渭南市教育局", "closed"),
    }
    linwei = rounds.get(org_unit=world.units["linwei_bureau"])
    candidates = set(linwei.applications.values_list("person__name", flat=True))
    assert candidates == {"张老师", "刘老师"} - set(
        ResearcherProfile.objects.values_list("person__name", flat=True)
    )
    # The demo teacher has an open application of her own, not yet reviewed.
    mine = AdmissionApplication.objects.get(round=linwei, person=world.people["teacher"])
    states = {c.kind: c.state for c in queries_admission.checks(mine)}
    assert states["title"] == "pass" and states["demo_lesson"] == "pending"
    # Last year's: decided, the appointed hold the role and a profile.
    for app in AdmissionApplication.objects.filter(status="appointed"):
        assert app.role_assignment.role == Role.RESEARCHER
        assert ResearcherProfile.objects.filter(person=app.person).exists()
    assert not AdmissionApplication.objects.filter(
        round__status="closed", status="submitted"
    ).exists()


def test_the_same_seed_gives_the_same_data(world):
    _run(5)
    first = list(
        AdmissionApplication.objects.order_by("pk").values_list("person_id", "status", "reviews")
    )
    AdmissionApplication.objects.all().delete()
    ResearcherProfile.objects.all().delete()
    RoleAssignment.objects.filter(role=Role.RESEARCHER, created_at__year__lt=2025).delete()
    AdmissionRound.objects.all().delete()
    _run(5)
    again = list(
        AdmissionApplication.objects.order_by("pk").values_list("person_id", "status", "reviews")
    )
    assert [a[:2] for a in again] == [a[:2] for a in first]
