"""Feedback (attendees only, once), minutes and decisions, the ledger hook, materials."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.activities import hooks, queries, services
from jiaoyan.activities.models import Decision, Feedback
from jiaoyan.core.errors import ServiceError


@pytest.fixture
def attended(world, published):
    researcher = world.users["district_researcher"]
    p = published.participations.get(person=world.people["teacher"])
    services.mark_attendance(actor=researcher, activity=published, marks={p.pk: "present"})
    return services.finish_activity(actor=researcher, activity=published)


def test_only_attendees_rate_once_from_1_to_5(world, attended):
    teacher = world.users["teacher"]
    for bad in (0, 6, "x"):
        with pytest.raises(ServiceError):
            services.give_feedback(actor=teacher, activity=attended, rating=bad)
    services.give_feedback(actor=teacher, activity=attended, rating=4, comment="很有收获")
    with pytest.raises(ServiceError):
        services.give_feedback(actor=teacher, activity=attended, rating=5)
    with pytest.raises((ServiceError, PermissionDenied)):
        services.give_feedback(actor=world.users["principal"], activity=attended, rating=5)
    summary = queries.feedback_summary(attended)
    assert summary["count"] == 1 and summary["average"] == 4.0
    assert [d["count"] for d in summary["distribution"]] == [0, 0, 0, 1, 0]
    attended.refresh_from_db()
    assert attended.average_rating == 4.0
    # Feedback is the giver's and the organisers' only.
    assert Feedback.objects.visible_to(world.users["teacher"]).count() == 1
    assert Feedback.objects.visible_to(world.users["district_researcher"]).count() == 1
    assert Feedback.objects.visible_to(world.users["principal"]).count() == 0


def test_minutes_and_decisions_and_the_ledger_hook(world, attended):
    researcher = world.users["district_researcher"]
    services.save_minutes(actor=researcher, activity=attended, minutes="研讨纪要")
    d = services.add_decision(
        actor=researcher, activity=attended, text="各校报送单元作业设计", for_ledger=True
    )
    services.add_decision(actor=researcher, activity=attended, text="下次活动在二中")
    installed = hooks.decision_sink()  # the work ledger's, when it is installed
    received = []

    def sink(*, actor, decision):
        received.append(decision.text)
        return f"L-{decision.pk}"

    try:
        hooks.unregister_decision_sink()
        with pytest.raises(ServiceError):
            services.send_decisions_to_ledger(actor=researcher, activity=attended)  # no ledger
        hooks.register_decision_sink(sink)
        assert services.send_decisions_to_ledger(actor=researcher, activity=attended) == 1
        assert services.send_decisions_to_ledger(actor=researcher, activity=attended) == 0
    finally:
        hooks.unregister_decision_sink()
        if installed is not None:
            hooks.register_decision_sink(installed)
    d.refresh_from_db()
    assert received == ["各校报送单元作业设计"] and d.ledger_ref == f"L-{d.pk}" and d.sent_at
    with pytest.raises(ServiceError):
        services.delete_decision(actor=researcher, decision=d)
    with pytest.raises(PermissionDenied):
        services.save_minutes(actor=world.users["teacher"], activity=attended, minutes="x")
    assert Decision.objects.visible_to(world.users["teacher"]).count() == 2  # invited: read


def test_minutes_need_a_started_activity(world, activity):
    with pytest.raises(ServiceError):
        services.save_minutes(
            actor=world.users["district_researcher"], activity=activity, minutes="x"
        )


def test_materials_files_and_links(world, published):
    researcher = world.users["district_researcher"]
    f = SimpleUploadedFile(
        "课件.pptx", b"PK\x03\x04 slides", content_type="application/octet-stream"
    )
    m = services.add_material(
        actor=researcher, activity=published, phase="before", kind="slides", title="", upload=f
    )
    assert m.file_name == "课件.pptx" and m.size == 11 and m.title == "课件.pptx"
    with pytest.raises(ServiceError):
        services.add_material(
            actor=researcher, activity=published, phase="before", kind="slides", title="空"
        )
    with pytest.raises(PermissionDenied):
        services.add_material(
            actor=world.users["teacher"],
            activity=published,
            phase="before",
            kind="slides",
            title="x",
            url="https://e.org",
        )
    services.delete_material(actor=researcher, material=m)
    assert not published.materials.exists()
