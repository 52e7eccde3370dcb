"""The governance API (``/api/v1/wellbeing/reads``, ``/api/v1/wellbeing/exports``) with
the pages' permissions and audit: the read audit filtered by reader, student, action and
date, for holders of the permission only; export requests asked for with a reason,
decided by a second holder (never the requester), the file downloaded by the requester
only, each download an audited export; the same matrix as the pages (anonymous, teacher,
principal, district admin without the permission, counsellor of another school)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jiaoyan.core.models import AuditLog, Job
from jiaoyan.wellbeing.models import ExportRequest
from tests.wellbeing.test_governance import _request, setup  # noqa: F401  (the fixture)

JSON = "application/json"
WHO = [
    "anonymous",
    "teacher",
    "class_teacher",
    "principal",
    "city_admin",
    "counsellor_b",
    "counsellor",
]


@pytest.fixture
def api(setup, api_for):  # noqa: F811
    w = setup[0]

    def make(who: str) -> Client:
        return Client() if who == "anonymous" else api_for(w.users[who])

    return make


def test_the_read_audit_lists_reads_with_their_reasons_filtered(setup, api):  # noqa: F811
    w, _c, p, _a = setup
    reader = Client()
    reader.force_login(w.users["counsellor"])
    assert reader.get(f"/wellbeing/students/{p.student_id}/?reason=复查随访").status_code == 200
    colleague = api("counsellor_a2")
    body = colleague.get("/api/v1/wellbeing/reads").json()
    row = next(r for r in body["items"] if r["reason"] == "复查随访")
    assert row["record"] == "A0701" and row["reader"] == "周晓（counsellor）"
    assert row["unit"] == "临渭区第一初级中学" and row["action"] == "view"

    def reasons(query: str) -> list[str]:
        r = colleague.get(f"/api/v1/wellbeing/reads?{query}")
        assert r.status_code == 200, r.content
        return [x["reason"] for x in r.json()["items"]]

    assert "复查随访" in reasons("student=A0701")
    assert "复查随访" not in reasons("student=A0702")
    assert "复查随访" not in reasons("reader=孙心理")
    assert "复查随访" not in reasons("action=export")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "复查随访" not in reasons(f"since={tomorrow}")
    assert "复查随访" in reasons(f"until={tomorrow}")
    # bad filters: 422 with a message, never a 500
    for bad in ("action=delete", "since=yesterday"):
        r = colleague.get(f"/api/v1/wellbeing/reads?{bad}")
        assert r.status_code == 422 and r.json()["detail"], bad
    # the other school's counsellor does not see school A's reads
    other = api("counsellor_b").get("/api/v1/wellbeing/reads").json()
    assert "复查随访" not in [x["reason"] for x in other["items"]]


def test_the_read_audit_matrix(setup, api):  # noqa: F811
    for who, want in zip(WHO, [401, 403, 403, 403, 403, 200, 200], strict=True):
        assert api(who).get("/api/v1/wellbeing/reads").status_code == want, who


def test_an_export_needs_a_second_approver_and_only_the_requester_downloads(
    setup,  # noqa: F811
    api,
    django_capture_on_commit_callbacks,
):
    w, _c, _p, a = setup
    me = api("counsellor")
    r = me.post(
        "/api/v1/wellbeing/exports",
        {"org_unit": a.pk, "what": "alerts", "reason": "转介医院需要名单"},
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["status"] == "pending" and out["org_unit_name"] == "临渭区第一初级中学"
    pk = out["id"]
    assert [x["id"] for x in me.get("/api/v1/wellbeing/exports").json()["items"]] == [pk]
    assert me.get("/api/v1/wellbeing/exports?status=rejected").json()["items"] == []
    # the requester may not approve their own request; nothing is downloadable yet
    r = me.post(f"/api/v1/wellbeing/exports/{pk}/approve")
    assert r.status_code == 400 and "另一位" in r.json()["detail"]
    assert ExportRequest.objects.get(pk=pk).status == "pending"
    assert me.get(f"/api/v1/wellbeing/exports/{pk}/file").status_code == 410
    # a second holder approves; the job builds the file
    with django_capture_on_commit_callbacks(execute=True):
        r = api("counsellor_a2").post(f"/api/v1/wellbeing/exports/{pk}/approve")
    assert r.status_code == 200, r.content
    req = ExportRequest.objects.get(pk=pk)
    assert req.status == "ready" and req.decided_by == w.users["counsellor_a2"]
    assert Job.objects.get(pk=req.job_id).status == "succeeded"
    assert me.get(f"/api/v1/wellbeing/exports/{pk}").json()["downloadable"] is True
    # the approver may not download it; the requester does, audited with the reason
    before = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count()
    assert api("counsellor_a2").get(f"/api/v1/wellbeing/exports/{pk}/file").status_code == 403
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == before
    r = me.get(f"/api/v1/wellbeing/exports/{pk}/file")
    assert r.status_code == 200
    content = b"".join(r.streaming_content) if r.streaming else r.content
    assert content[:2] == b"PK"
    log = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("id")
    assert log.actor == w.users["counsellor"] and log.changes["reason"][1] == "转介医院需要名单"
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == before + 1


def test_a_second_holder_rejects(setup, api):  # noqa: F811
    w, _c, _p, a = setup
    req = _request(w, a)
    r = api("counsellor_a2").post(f"/api/v1/wellbeing/exports/{req.pk}/reject")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    again = api("counsellor_a2").post(f"/api/v1/wellbeing/exports/{req.pk}/approve")
    assert again.status_code == 400 and again.json()["detail"]
    assert ExportRequest.objects.get(pk=req.pk).status == "rejected"


def test_bad_requests_write_nothing(setup, api):  # noqa: F811
    w, _c, _p, a = setup
    me = api("counsellor")
    b = w.schools["school_b"].org_unit  # not where the counsellor holds the permission
    for body, _field in (
        ({"org_unit": a.pk, "what": "alerts", "reason": " "}, "reason"),
        ({"org_unit": a.pk, "what": "everything", "reason": "看看"}, "what"),
        ({"org_unit": b.pk, "what": "alerts", "reason": "看看"}, "org_unit"),
        ({"org_unit": 10**9, "what": "alerts", "reason": "看看"}, "org_unit"),
    ):
        r = me.post("/api/v1/wellbeing/exports", body, content_type=JSON)
        assert r.status_code in (400, 422), (body, r.status_code)
        assert r.json()["detail"], body
    assert ExportRequest.objects.count() == 0


def test_the_export_matrix(setup, api):  # noqa: F811
    w, _c, _p, a = setup
    req = _request(w, a)
    urls = [
        ("get", "/api/v1/wellbeing/exports", [401, 403, 403, 403, 403, 200, 200]),
        ("get", f"/api/v1/wellbeing/exports/{req.pk}", [401, 404, 404, 404, 404, 404, 200]),
        ("get", f"/api/v1/wellbeing/exports/{req.pk}/file", [401, 404, 404, 404, 404, 404, 410]),
        (
            "post",
            f"/api/v1/wellbeing/exports/{req.pk}/approve",
            [401, 404, 404, 404, 404, 404, 400],
        ),
        ("post", f"/api/v1/wellbeing/exports/{req.pk}/reject", [401, 404, 404, 404, 404, 404, 400]),
    ]
    for method, url, expected in urls:
        for who, want in zip(WHO, expected, strict=True):
            r = getattr(api(who), method)(url)
            assert r.status_code == want, (who, method, url, r.status_code)
    listing = api("counsellor_b").get("/api/v1/wellbeing/exports").json()["items"]
    assert listing == []
    assert ExportRequest.objects.get(pk=req.pk).status == "pending"
    # without the permission: 403; with it elsewhere: school A is out of reach (422)
    for who, want in (
        ("teacher", 403),
        ("principal", 403),
        ("city_admin", 403),
        ("counsellor_b", 422),
    ):
        r = api(who).post(
            "/api/v1/wellbeing/exports",
            {"org_unit": a.pk, "what": "alerts", "reason": "看看"},
            content_type=JSON,
        )
        assert r.status_code == want, who
    assert ExportRequest.objects.count() == 1
