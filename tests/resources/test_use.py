"""Using a published resource (resources/use.py): favourites, ratings 1–5 (one per person,
changeable, not by its authors), comments (removed by their writer or a manager),
"I used this in my lesson" (once a day), and views/downloads counted once per person and
day, aggregated by the periodic job into the resource's figures in all and per term."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import Job
from jiaoyan.observations.terms import term_start
from jiaoyan.resources import services, tasks, use
from jiaoyan.resources.models import (
    Application,
    Comment,
    Favourite,
    HitKind,
    Rating,
    Resource,
    ResourceHit,
    ResourceTermStats,
)
from tests.conftest import make_person
from tests.resources.conftest import draft, reviewed
from tests.support import zh

pytestmark = pytest.mark.usefixtures("chinese")


def published(w) -> Resource:
    r, _review = reviewed(w)
    services.decide(actor=w.users["principal"], resource=r, decision="publish")
    return Resource.objects.get(pk=r.pk)


def make_colleague(world):
    """A second math teacher of the author's school, with an account."""
    person = make_person(
        "T201",
        "孙老师",
        world.schools["school_a"].org_unit,
        role="teacher",
        subjects=["数学"],
        stages=["junior"],
        username="colleague",
    )
    return person.user


@pytest.fixture
def colleague(world):
    return make_colleague(world)


def _fresh(r: Resource) -> Resource:
    return Resource.objects.get(pk=r.pk)


# --- favourites --------------------------------------------------------------------------


def test_favourites_are_added_once_and_removed_by_their_owner(world, colleague):
    r = published(world)
    first = use.add_favourite(actor=colleague, resource=r)
    again = use.add_favourite(actor=colleague, resource=r)
    assert first.pk == again.pk and Favourite.objects.count() == 1
    assert list(Favourite.objects.visible_to(colleague)) == [first]
    assert not Favourite.objects.visible_to(world.users["teacher"]).exists()
    with pytest.raises(PermissionDenied):
        use.remove_favourite(actor=world.users["teacher"], favourite=first)
    use.remove_favourite(actor=colleague, favourite=first)
    assert not Favourite.objects.exists()


def test_nothing_is_used_before_it_is_published(world, colleague):
    r = draft(world)
    with pytest.raises(ServiceError) as e:
        use.add_favourite(actor=world.users["teacher"], resource=r)
    assert e.value.text == zh("Only a published resource can be used, rated or commented on.")
    with pytest.raises(ServiceError):
        use.record_use(actor=world.users["teacher"], resource=r)
    assert not Favourite.objects.exists() and not Application.objects.exists()


def test_nobody_uses_what_they_cannot_see(world):
    r = published(world)  # 临渭区第一初级中学's, internal: 华州区 does not see it
    outsider = world.users["outsider"]
    for call in (
        lambda: use.add_favourite(actor=outsider, resource=r),
        lambda: use.rate(actor=outsider, resource=r, score=5),
        lambda: use.add_comment(actor=outsider, resource=r, text="看不到也评论"),
        lambda: use.record_use(actor=outsider, resource=r),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert not Rating.objects.exists() and not Comment.objects.exists()
    assert _fresh(r).rating_count == 0


# --- ratings -----------------------------------------------------------------------------


@pytest.mark.parametrize("score", [0, 6, -1, "五", 3.5, None, ""])
def test_a_rating_outside_one_to_five_is_refused_and_nothing_written(world, colleague, score):
    r = published(world)
    with pytest.raises(ServiceError) as e:
        use.rate(actor=colleague, resource=r, score=score)
    assert e.value.text == zh("A rating is a whole number from 1 to 5.")
    assert e.value.field == "score"
    assert not Rating.objects.exists()
    fresh = _fresh(r)
    assert (fresh.rating_count, fresh.rating_sum, fresh.rating_average) == (0, 0, None)


def test_one_rating_per_person_changeable_with_the_average_following(world, colleague):
    r = published(world)
    use.rate(actor=colleague, resource=r, score=4)
    use.rate(actor=world.users["district_researcher"], resource=r, score=5)
    assert _fresh(r).rating_average == 4.5 and _fresh(r).rating_count == 2
    changed = use.rate(actor=colleague, resource=r, score="2")
    assert Rating.objects.filter(user=colleague).count() == 1 and changed.score == 2
    fresh = _fresh(r)
    assert (fresh.rating_count, fresh.rating_average) == (2, 3.5)
    assert AuditLog.objects.filter(action="update", changes__score=[4, 2]).exists()
    use.remove_rating(actor=colleague, rating=changed)
    fresh = _fresh(r)
    assert (fresh.rating_count, fresh.rating_sum, fresh.rating_average) == (1, 5, 5.0)


def test_authors_cannot_rate_their_own_resource(world):
    r = published(world)
    with pytest.raises(ServiceError) as e:
        use.rate(actor=world.users["teacher"], resource=r, score=5)
    assert e.value.text == zh("You cannot rate your own resource.")
    assert not Rating.objects.exists()


# --- comments ----------------------------------------------------------------------------


def test_comments_are_read_by_everyone_who_sees_it_and_removed_by_writer_or_manager(
    world, colleague
):
    r = published(world)
    with pytest.raises(ServiceError):
        use.add_comment(actor=colleague, resource=r, text="   ")
    with pytest.raises(ServiceError):
        use.add_comment(actor=colleague, resource=r, text="长" * (use.COMMENT_LIMIT + 1))
    c1 = use.add_comment(actor=colleague, resource=r, text="  情境导入很好\x00  ")
    c2 = use.add_comment(actor=colleague, resource=r, text="练习可以再分层")
    assert c1.text == "情境导入很好" and c1.user_name.startswith("孙老师")
    for name in ("teacher", "principal", "district_researcher", "city_admin"):
        assert Comment.objects.visible_to(world.users[name]).count() == 2, name
    assert not Comment.objects.visible_to(world.users["outsider"]).exists()
    # Another reader (the author here) cannot remove it; its writer and a manager can.
    with pytest.raises(PermissionDenied):
        use.delete_comment(actor=world.users["teacher"], comment=c1)
    use.delete_comment(actor=colleague, comment=c1)
    use.delete_comment(actor=world.users["principal"], comment=c2)
    assert not Comment.objects.exists()


# --- applications ------------------------------------------------------------------------


def test_i_used_this_once_a_day_counted_at_once_in_all_and_in_the_term(world, colleague):
    r = published(world)
    today = timezone.localdate()
    a = use.record_use(actor=colleague, resource=r, note="九（2）班新授课")
    assert a.day == today
    with pytest.raises(ServiceError) as e:
        use.record_use(actor=colleague, resource=r, day=today.isoformat())
    assert e.value.text == zh(
        "You already recorded using this resource on %(day)s.", day=today.isoformat()
    )
    earlier = today - dt.timedelta(days=3)
    use.record_use(actor=colleague, resource=r, day=earlier)
    with pytest.raises(ServiceError):
        use.record_use(actor=colleague, resource=r, day=today + dt.timedelta(days=1))
    with pytest.raises(ServiceError):
        use.record_use(actor=colleague, resource=r, day="昨天")
    assert Application.objects.count() == 2
    assert _fresh(r).use_count == 2
    uses = dict(ResourceTermStats.objects.filter(resource=r).values_list("term", "uses"))
    assert sum(uses.values()) == 2 and uses[term_start(today)] >= 1
    # Listed for the authors and the managers, not for other readers.
    assert Application.objects.visible_to(world.users["teacher"]).count() == 2
    assert Application.objects.visible_to(world.users["principal"]).count() == 2
    assert Application.objects.visible_to(world.users["district_researcher"]).count() == 2
    reader = make_person(
        "T202", "周老师", world.schools["school_a"].org_unit, role="teacher", username="reader"
    ).user
    assert not Application.objects.visible_to(reader).exists()
    use.delete_use(actor=colleague, application=a)
    assert _fresh(r).use_count == 1


# --- views and downloads -----------------------------------------------------------------


def test_a_view_is_counted_once_per_person_and_day_then_aggregated(world, colleague):
    r = published(world)
    teacher = world.users["teacher"]
    for _ in range(3):
        use.count_hit(colleague, r)
    use.count_hit(teacher, r)
    use.count_hit(colleague, r, HitKind.DOWNLOAD)
    assert ResourceHit.objects.count() == 3
    assert _fresh(r).view_count == 0  # counted by the job, not by the page
    assert use.aggregate_hits() == {"hits": 3, "deleted": 0}
    fresh = _fresh(r)
    assert (fresh.view_count, fresh.download_count) == (2, 1)
    # Run again: nothing is counted twice; today's hits stay for the once-a-day rule.
    assert use.aggregate_hits() == {"hits": 0, "deleted": 0}
    use.count_hit(colleague, r)
    assert _fresh(r).view_count == 2 and ResourceHit.objects.count() == 3
    term = ResourceTermStats.objects.get(resource=r, term=term_start(timezone.localdate()))
    assert (term.views, term.downloads) == (2, 1)
    # The next day the same person counts again, and yesterday's hits are deleted.
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        use.count_hit(colleague, r)
        assert use.aggregate_hits() == {"hits": 1, "deleted": 3}
    assert _fresh(r).view_count == 3 and ResourceHit.objects.count() == 1


def test_hits_of_unpublished_resources_are_not_counted(world):
    r = draft(world)
    use.count_hit(world.users["teacher"], r)
    assert not ResourceHit.objects.exists()


def test_the_hits_job_is_periodic_work_started_by_the_scheduler(
    world, colleague, client_for, django_capture_on_commit_callbacks
):
    r = published(world)
    client_for(colleague).get(r.get_absolute_url())
    assert ResourceHit.objects.count() == 1
    assert not Job.objects.filter(kind=tasks.AGGREGATE_HITS).exists()  # no page starts it
    with django_capture_on_commit_callbacks(execute=True):
        call_command("jobs", "schedule")
    job = Job.objects.get(kind=tasks.AGGREGATE_HITS)
    assert job.status == Job.Status.SUCCEEDED and job.result["hits"] == 1
    assert _fresh(r).view_count == 1


@pytest.mark.django_db(transaction=True)
def test_the_aggregation_runs_as_its_own_transaction(world, colleague):
    """As the worker runs it (not inside a test's transaction): on PostgreSQL the count
    and the marking read one snapshot (REPEATABLE READ), so no hit is marked uncounted."""
    r = published(world)
    use.count_hit(colleague, r)
    use.count_hit(world.users["principal"], r, HitKind.DOWNLOAD)
    assert use.aggregate_hits() == {"hits": 2, "deleted": 0}
    fresh = _fresh(r)
    assert (fresh.view_count, fresh.download_count) == (1, 1)
    assert not ResourceHit.objects.filter(counted=False).exists()
