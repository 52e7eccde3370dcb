"""Items made where work is decided (minutes, observations) and the reminder sweep."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from jiaoyan.activities import hooks
from jiaoyan.activities import services as activity_services
from jiaoyan.core.models import Job, Notification
from jiaoyan.ledger import services, tasks
from jiaoyan.ledger.apps import receive_decision
from jiaoyan.ledger.models import Item, Source
from tests.activities.conftest import make_activity
from tests.observations.conftest import observe


@pytest.fixture
def ledger_sink():
    """The ledger's decision sink (another test may have unregistered it)."""
    previous = hooks.decision_sink()
    hooks.register_decision_sink(receive_decision)
    yield
    if previous is not None:
        hooks.register_decision_sink(previous)


def test_minutes_button_sends_decisions_once_with_their_source(world, client_for, ledger_sink):
    researcher = world.district_researcher
    activity = make_activity(world)
    activity_services.publish_activity(actor=researcher, activity=activity)
    activity = activity_services.start_activity(actor=researcher, activity=activity)
    due = timezone.localdate() + dt.timedelta(days=20)
    activity_services.add_decision(
        actor=researcher,
        activity=activity,
        text="各校报送单元作业设计",
        for_ledger=True,
        owner_unit=world.schools["school_a"].org_unit,
        due_on=due,
    )
    activity_services.add_decision(actor=researcher, activity=activity, text="下次活动在二中")
    client = client_for(researcher)
    url = f"/activities/{activity.pk}/minutes/"
    assert "工作台账" in client.get(url).content.decode()
    client.post(url, {"action": "ledger"})
    item = Item.objects.get()
    assert item.title == "各校报送单元作业设计" and item.source == Source.MINUTES
    assert item.source_activity == activity and item.source_decision.text == item.title
    assert item.responsible_unit == world.schools["school_a"].org_unit and item.due_on == due
    page = client.get(item.get_absolute_url()).content.decode()
    assert activity.get_absolute_url() in page
    client.post(url, {"action": "ledger"})
    assert Item.objects.count() == 1


def test_observation_page_offers_a_prefilled_item(world, client_for):
    from jiaoyan.observations.models import Rubric

    rubric = Rubric.objects.get(org_unit__isnull=True)
    obs = observe(world, rubric, observer="district_researcher")
    client = client_for(world.district_researcher)
    page = client.get(obs.get_absolute_url()).content.decode()
    assert 'data-testid="to-ledger"' in page
    form = client.get(f"/ledger/items/new/?observation={obs.pk}").context["form"]
    assert form.initial["title"] == "小组合作的时间可以再充分一些。"
    resp = client.post(
        f"/ledger/items/new/?observation={obs.pk}",
        {
            "org_unit": world.units["linwei_institute"].pk,
            "title": "改进小组合作",
            "description": obs.suggestions,
            "due_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "recurrence": "none",
            "priority": "normal",
            "tags": "双减",
            "observation": obs.pk,
        },
    )
    item = Item.objects.get()
    assert resp.status_code == 302
    assert item.source == Source.OBSERVATION and item.source_observation == obs
    assert item.responsible_person == world.people["teacher"]
    assert item.responsible_unit == world.schools["school_a"].org_unit
    assert list(item.tags.values_list("name", flat=True)) == ["双减"]
    page = client.get(obs.get_absolute_url()).content.decode()
    assert "改进小组合作" in page
    # A teacher (who may not assign work) sees no button.
    from jiaoyan.people.models import User

    assert not User.objects.get(username="teacher").is_superuser
    teacher_page = client_for(world.teacher).get(obs.get_absolute_url())
    if teacher_page.status_code == 200:
        assert 'data-testid="to-ledger"' not in teacher_page.content.decode()


def _reminders(user):
    return Notification.objects.filter(recipient=user, kind="reminder")


def test_due_soon_reminds_once_and_overdue_reminds(world, make_item):
    item = make_item("下周到期", due_on=timezone.localdate() + dt.timedelta(days=2))
    call_command("ledger_remind")
    assert _reminders(world.principal).count() == 1
    call_command("ledger_remind")
    assert _reminders(world.principal).count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(days=5)):
        services.run_reminders()
        overdue = Notification.objects.filter(recipient=world.principal, kind="warning")
        assert overdue.filter(title__contains=item.title).count() == 1
        services.run_reminders()
        assert overdue.filter(title__contains=item.title).count() == 1


def test_reminders_are_scheduled_work_never_started_by_a_page(
    world, client_for, make_item, django_capture_on_commit_callbacks
):
    make_item("明天到期", due_on=timezone.localdate() + dt.timedelta(days=1))
    client = client_for(world.principal)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.get("/ledger/")
        client.get("/")
    assert callbacks == [] and not _reminders(world.principal).exists()
    assert not Job.objects.filter(kind=tasks.REMINDERS).exists()
    # The scheduler starts the reminder job (the immediate queue runs it at once) …
    with django_capture_on_commit_callbacks(execute=True):
        call_command("jobs", "schedule")
    job = Job.objects.get(kind=tasks.REMINDERS)
    assert job.status == Job.Status.SUCCEEDED and job.result["due_soon"] == 1
    assert _reminders(world.principal).count() == 1
    # … once an hour.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("jobs", "schedule")
    assert Job.objects.filter(kind=tasks.REMINDERS).count() == 1
