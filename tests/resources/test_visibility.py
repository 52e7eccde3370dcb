"""Who sees a resource: drafts only their authors; a submitted one its unit's managers
and its reviewers; a published one the unit's whole subtree and the units above; a
public one everyone. Files, reviews and steps follow."""

from __future__ import annotations

import pytest

from jiaoyan.core.scope import can
from jiaoyan.resources import services
from jiaoyan.resources.models import Resource, ResourceEvent, ResourceFile, Review
from tests.conftest import make_person
from tests.resources.conftest import criteria_scores, draft, in_review, reviewed, submitted

ALL = ["city_admin", "district_researcher", "principal", "teacher", "counsellor", "outsider"]


def _seers(w, model, obj) -> set[str]:
    return {n for n in ALL if model.objects.visible_to(w.users[n]).filter(pk=obj.pk).exists()}


def test_a_draft_is_its_authors_alone(world):
    r = draft(world)
    assert _seers(world, Resource, r) == {"teacher"}
    assert _seers(world, ResourceFile, r.files.first()) == {"teacher"}
    assert not can(world.users["principal"], "view", r)
    co = draft(world, authors=[world.people["teacher"], world.people["counsellor"]])
    assert _seers(world, Resource, co) == {"teacher", "counsellor"}


def test_a_submitted_resource_is_seen_by_its_managers_not_its_colleagues(world):
    r = submitted(world, actor="counsellor")
    assert _seers(world, Resource, r) == {
        "counsellor",
        "principal",
        "district_researcher",
        "city_admin",
    }


def test_a_reviewer_beyond_the_subtree_sees_what_they_are_assigned(world):
    other = make_person(
        "H777", "华州专家", world.units["huazhou_bureau"], role="researcher", username="hz_expert"
    )
    r = submitted(world)
    # The city admin names a researcher of another district as the reviewer.
    review = services.assign_reviewer(actor=world.users["city_admin"], resource=r, reviewer=other)
    assert Resource.objects.visible_to(other.user).filter(pk=r.pk).exists()
    assert Review.objects.visible_to(other.user).filter(pk=review.pk).exists()
    assert ResourceFile.objects.visible_to(other.user).filter(resource=r).count() == 1
    # … but not the other reviews of it, nor other resources of its unit.
    colleague = services.assign_reviewer(
        actor=world.users["city_admin"], resource=r, reviewer=world.people["district_researcher"]
    )
    assert not Review.objects.visible_to(other.user).filter(pk=colleague.pk).exists()
    assert not Resource.objects.visible_to(other.user).exclude(pk=r.pk).exists()


def test_published_is_the_subtree_and_above_internal_stays_in(world):
    r, _review = reviewed(world)
    services.decide(actor=world.users["principal"], resource=r, decision="publish")
    assert _seers(world, Resource, r) == set(ALL) - {"outsider"}
    # A resource published by the district's institute reaches the district's schools.
    inst = draft(world, actor="district_researcher", org_unit=world.units["linwei_institute"])
    services.submit_resource(actor=world.users["district_researcher"], resource=inst)
    rv = services.assign_reviewer(
        actor=world.users["city_admin"], resource=inst, reviewer=world.people["principal"]
    )
    services.record_review(actor=world.users["principal"], review=rv, scores=criteria_scores(rv))
    services.decide(actor=world.users["city_admin"], resource=inst, decision="publish")
    assert {"teacher", "counsellor", "principal"} <= _seers(world, Resource, inst)


def test_public_is_everyone(world):
    r, _review = reviewed(world, visibility="public")
    assert "outsider" not in _seers(world, Resource, r)  # not yet published
    services.decide(actor=world.users["principal"], resource=r, decision="publish")
    assert _seers(world, Resource, r) == set(ALL)
    assert "outsider" in _seers(world, ResourceFile, r.files.first())
    # Seeing is not editing.
    assert not can(world.users["outsider"], "change", r)
    assert not can(world.users["outsider"], "manage", r)


def test_authors_read_finished_reviews_and_the_steps(world):
    r, review = in_review(world)
    teacher = world.users["teacher"]
    assert not Review.objects.visible_to(teacher).filter(pk=review.pk).exists()
    services.record_review(
        actor=world.users["district_researcher"],
        review=review,
        scores=criteria_scores(review),
        comment="很好",
    )
    assert Review.objects.visible_to(teacher).filter(pk=review.pk).exists()
    assert ResourceEvent.objects.visible_to(teacher).filter(resource=r).count() == 4
    assert not ResourceEvent.objects.visible_to(world.users["outsider"]).filter(resource=r).exists()


@pytest.mark.parametrize("status", ["draft", "submitted", "returned"])
def test_the_outsider_sees_nothing_of_another_district_before_publication(world, status):
    if status == "draft":
        r = draft(world)
    elif status == "submitted":
        r = submitted(world)
    else:
        r, _rv = reviewed(world, recommendation="return", comment="改")
        services.decide(actor=world.users["principal"], resource=r, decision="return", comment="改")
    assert "outsider" not in _seers(world, Resource, r)
