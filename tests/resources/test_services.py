"""The review workflow's rules: submit → review → decide → resubmit, each refusal a clear
message with nothing written, and the submitter told at every step."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog, Notification
from jiaoyan.orgs.models import Subject
from jiaoyan.resources import services
from jiaoyan.resources.models import CurriculumNode, Resource, ResourceEvent, Review, Status
from tests.resources.conftest import (
    criteria_scores,
    draft,
    in_review,
    reviewed,
    submitted,
)
from tests.support import zh

pytestmark = pytest.mark.usefixtures("chinese")


def _state(r: Resource) -> tuple:
    r = Resource.objects.get(pk=r.pk)
    return (
        r.status,
        r.round,
        r.version,
        Review.objects.filter(resource=r).count(),
        ResourceEvent.objects.filter(resource=r).count(),
        AuditLog.objects.count(),
        Notification.objects.count(),
    )


def _titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def test_the_whole_way_with_a_return_and_a_resubmission(world, django_capture_on_commit_callbacks):
    teacher, principal, researcher = (
        world.users["teacher"],
        world.users["principal"],
        world.users["district_researcher"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = draft(world)
        assert r.status == Status.DRAFT
        r = services.submit_resource(actor=teacher, resource=r)
    assert (r.status, r.round) == (Status.SUBMITTED, 1)
    assert r.rubric.org_unit is None  # the built-in default
    # The principal is told a resource waits for reviewers.
    assert any(r.title in t for t in _titles(principal))

    with django_capture_on_commit_callbacks(execute=True):
        review = services.assign_reviewer(
            actor=principal, resource=r, reviewer=world.people["district_researcher"]
        )
    r.refresh_from_db()
    assert r.status == Status.IN_REVIEW
    assert review.criteria == r.rubric.criteria  # the rubric copied onto the review
    assert any(r.title in t for t in _titles(researcher))
    assert any(
        zh("Your resource is in review: %(title)s", title=r.title) == t for t in _titles(teacher)
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.record_review(
            actor=researcher,
            review=review,
            scores=criteria_scores(review, 10),
            comment="例题梯度不够，请补充变式练习。",
            recommendation="return",
        )
        services.decide(
            actor=principal, resource=r, decision="return", comment="请按评审意见补充变式练习。"
        )
    r.refresh_from_db()
    assert r.status == Status.RETURNED
    assert zh("Returned for revision: %(title)s", title=r.title) in _titles(teacher)
    note = Notification.objects.filter(recipient=teacher, body__contains="变式练习").first()
    assert note is not None and note.url == r.get_absolute_url()
    returned = r.events.get(step=ResourceEvent.Step.RETURNED)
    assert returned.comment == "请按评审意见补充变式练习。"

    # Revised, resubmitted: a new round, the first round's review kept.
    services.update_resource(actor=teacher, resource=r, data={"summary": "补充了变式练习"})
    r = services.submit_resource(actor=teacher, resource=r)
    assert (r.status, r.round) == (Status.SUBMITTED, 2)
    review2 = services.assign_reviewer(
        actor=principal, resource=r, reviewer=world.people["district_researcher"]
    )
    assert review2.round == 2 and Review.objects.filter(resource=r).count() == 2
    services.record_review(
        actor=researcher, review=review2, scores=criteria_scores(review2), recommendation="publish"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(actor=principal, resource=r, decision="publish")
    r.refresh_from_db()
    assert r.status == Status.PUBLISHED and r.published_at is not None
    assert zh("Published: %(title)s", title=r.title) in _titles(teacher)
    steps = list(r.events.values_list("step", flat=True))
    assert steps == [
        "created",
        "submitted",
        "assigned",
        "reviewed",
        "returned",
        "resubmitted",
        "assigned",
        "reviewed",
        "published",
    ]


def test_a_reviewer_cannot_review_their_own_resource(world):
    r = submitted(world)
    before = _state(r)
    with pytest.raises(ServiceError) as e:
        services.assign_reviewer(
            actor=world.users["principal"], resource=r, reviewer=world.people["teacher"]
        )
    assert e.value.text == zh("A reviewer cannot review their own resource.")
    assert e.value.field == "reviewer"
    assert _state(r) == before


def test_a_coauthor_cannot_review_either(world):
    r = submitted(world, authors=[world.people["teacher"], world.people["counsellor"]])
    with pytest.raises(ServiceError, match=zh("A reviewer cannot review their own resource.")):
        services.assign_reviewer(
            actor=world.users["principal"], resource=r, reviewer=world.people["counsellor"]
        )


def test_an_author_who_manages_cannot_assign_or_decide_on_their_own(world):
    r = submitted(world, actor="principal")
    with pytest.raises(PermissionDenied):
        services.assign_reviewer(
            actor=world.users["principal"], resource=r, reviewer=world.people["district_researcher"]
        )
    # The district researcher (a manager above the school) may.
    services.assign_reviewer(
        actor=world.users["district_researcher"], resource=r, reviewer=world.people["teacher"]
    )


def test_scores_outside_the_rubric_are_refused_and_nothing_changes(world):
    r, review = in_review(world)
    researcher = world.users["district_researcher"]
    first, top = review.criteria[0]["name"], review.criteria[0]["max"]
    before = (_state(r), Review.objects.filter(pk=review.pk).values().first())
    cases = [
        (
            {**criteria_scores(review), first: top + 1},
            zh(
                "The score for “%(name)s” must be between 0 and %(max)s.",
                name=first,
                max=f"{top:g}",
            ),
        ),
        ({**criteria_scores(review), first: -1}, None),
        ({**criteria_scores(review), first: "很好"}, None),
        ({**criteria_scores(review), first: "nan"}, None),
        ({**criteria_scores(review), "颜值": 5}, zh("Unknown criteria: %(names)s", names="颜值")),
        ({first: 5}, None),
    ]
    for scores, message in cases:
        with pytest.raises(ServiceError) as e:
            services.record_review(actor=researcher, review=review, scores=scores)
        assert e.value.field == "scores"
        if message:
            assert e.value.text == message
    assert (_state(r), Review.objects.filter(pk=review.pk).values().first()) == before


def test_only_the_assigned_reviewer_records_the_review(world):
    _r, review = in_review(world)
    for name in ("principal", "teacher", "city_admin", "outsider"):
        with pytest.raises(PermissionDenied):
            services.record_review(
                actor=world.users[name], review=review, scores=criteria_scores(review)
            )
    assert Review.objects.get(pk=review.pk).status == Review.State.ASSIGNED


def test_returning_or_rejecting_needs_a_comment(world):
    r, _review = reviewed(world)
    before = _state(r)
    for decision in ("return", "reject"):
        with pytest.raises(ServiceError) as e:
            services.decide(actor=world.users["principal"], resource=r, decision=decision)
        assert e.value.text == zh("Say why in the comment: the authors read it.")
    assert _state(r) == before


def test_no_decision_before_every_review_is_in(world):
    r, review = in_review(world)
    services.assign_reviewer(
        actor=world.users["principal"], resource=r, reviewer=world.people["city_admin"]
    )
    services.record_review(
        actor=world.users["district_researcher"], review=review, scores=criteria_scores(review)
    )
    before = _state(r)
    with pytest.raises(ServiceError) as e:
        services.decide(actor=world.users["principal"], resource=r, decision="publish")
    assert e.value.text == zh("%(n)d reviews are not in yet.", n=1)
    assert _state(r) == before


def test_a_draft_cannot_be_decided_or_given_reviewers(world):
    r = draft(world)
    with pytest.raises(ServiceError):
        services.assign_reviewer(
            actor=world.users["principal"], resource=r, reviewer=world.people["district_researcher"]
        )
    with pytest.raises(ServiceError):
        services.decide(actor=world.users["principal"], resource=r, decision="publish")
    assert Resource.objects.get(pk=r.pk).status == Status.DRAFT


def test_submission_needs_subject_stage_and_content(world):
    r = draft(world, with_file=False)
    before = _state(r)
    with pytest.raises(ServiceError) as e:
        services.submit_resource(actor=world.users["teacher"], resource=r)
    assert e.value.text == zh("Attach at least one file or give a video link before submitting.")
    assert _state(r) == before
    lesson = draft(world, kind="micro_lesson")  # a PDF, but no video
    with pytest.raises(
        ServiceError, match=zh("A micro-lesson needs its video: a video file or a link.")
    ):
        services.submit_resource(actor=world.users["teacher"], resource=lesson)
    services.update_resource(
        actor=world.users["teacher"],
        resource=lesson,
        data={"video_link": "https://v.example.cn/1.mp4"},
    )
    assert (
        services.submit_resource(actor=world.users["teacher"], resource=lesson).status
        == "submitted"
    )


def test_an_empty_title_and_a_bad_link_are_refused_with_nothing_written(world):
    count = Resource.objects.count()
    with pytest.raises(ServiceError) as e:
        draft(world, title="   ")
    assert e.value.field == "title"
    with pytest.raises(ServiceError) as e:
        draft(world, video_link="javascript:alert(1)")
    assert e.value.field == "video_link"
    with pytest.raises(ServiceError) as e:
        draft(world, grade=13)
    assert e.value.field == "grade"
    assert Resource.objects.count() == count


def test_a_chapter_of_another_subject_is_refused(world):
    chinese = Subject.objects.get(name="语文")
    node = services.add_curriculum_node(
        actor=world.users["city_admin"], subject=chinese, edition="统编版", name="第一单元"
    )
    with pytest.raises(ServiceError) as e:
        draft(world, curriculum_node=node)
    assert e.value.text == zh("The chapter belongs to another subject.")
    math = Subject.objects.get(name="数学")
    chapter = services.add_curriculum_node(
        actor=world.users["city_admin"],
        subject=math,
        edition="人教版",
        name="一元二次方程",
        grade=9,
    )
    r = draft(world, curriculum_node=chapter)
    assert r.curriculum_node == chapter


def test_only_bureau_admins_edit_the_curriculum_tree(world):
    math = Subject.objects.get(name="数学")
    with pytest.raises(PermissionDenied):
        services.add_curriculum_node(
            actor=world.users["teacher"], subject=math, edition="人教版", name="第一章"
        )
    node = services.add_curriculum_node(
        actor=world.users["city_admin"], subject=math, edition="人教版", name="第一章"
    )
    with pytest.raises(ServiceError):
        services.add_curriculum_node(
            actor=world.users["city_admin"], subject=math, edition="人教版", name="第一章"
        )
    child = services.add_curriculum_node(
        actor=world.users["city_admin"], subject=math, edition="人教版", name="1.1", parent=node
    )
    assert child.parent == node
    assert CurriculumNode.objects.count() == 2


def test_only_authors_edit_and_only_while_draft_or_returned(world):
    r = draft(world)
    for name in ("principal", "district_researcher", "city_admin"):
        with pytest.raises(PermissionDenied):
            services.update_resource(actor=world.users[name], resource=r, data={"title": "改"})
    services.submit_resource(actor=world.users["teacher"], resource=r)
    with pytest.raises(PermissionDenied):
        services.update_resource(actor=world.users["teacher"], resource=r, data={"title": "改"})
    with pytest.raises(PermissionDenied):
        services.delete_resource(actor=world.users["teacher"], resource=r)
    assert Resource.objects.get(pk=r.pk).title == "一元二次方程的解法教学设计"


def test_a_stale_edit_is_refused(world):
    r = draft(world)
    services.update_resource(actor=world.users["teacher"], resource=r, data={"title": "新标题"})
    with pytest.raises(ServiceError):
        services.update_resource(
            actor=world.users["teacher"], resource=r, data={"title": "旧表单"}, expected_version=1
        )
    assert Resource.objects.get(pk=r.pk).title == "新标题"


def test_a_units_own_rubric_is_used_from_the_next_submission(world):
    rubric = services.create_rubric(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei"],
        name="临渭区微课评审量规",
        criteria=[{"name": "教学设计", "max": 60}, {"name": "技术规范", "max": 40}],
    )
    r, review = in_review(world)
    assert r.rubric == rubric
    assert [c["name"] for c in review.criteria] == ["教学设计", "技术规范"]
    # Changing the rubric later does not change what the review is scored against.
    services.update_rubric(
        actor=world.users["district_researcher"],
        rubric=rubric,
        data={"criteria": [{"name": "整体", "max": 100}]},
    )
    review.refresh_from_db()
    assert [c["name"] for c in review.criteria] == ["教学设计", "技术规范"]
    with pytest.raises(ServiceError):
        services.create_rubric(
            actor=world.users["district_researcher"],
            org_unit=world.units["linwei"],
            name="坏量规",
            criteria=[{"name": "x", "max": 0}],
        )
