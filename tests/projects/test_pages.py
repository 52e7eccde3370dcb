"""Project pages: every page answers for the approving unit, the applicant and the
expert; forms go through the services (a refusal shows its Chinese message and writes
nothing); query counts do not grow with rows; exports."""

from __future__ import annotations

import io

import openpyxl
import pytest

from jiaoyan.projects import services
from jiaoyan.projects.models import Project, Review

from .conftest import apply, approve, pdf

pytestmark = pytest.mark.usefixtures("chinese")


def _many(w, call, n, start=0):
    services.set_policy(actor=w.users["city_admin"], org_unit=w.units["city"].pk, max_led=50)
    services.set_call_quota(
        actor=w.users["city_admin"], call=call, unit=w.units["city"].pk, quota=100
    )
    return [apply(w, call, title=f"课题{start + i}") for i in range(n)]


def test_pages_answer(world, client_for, call, experts):
    w = world
    p = approve(w, apply(w, call), experts)
    review = Review.objects.filter(project=p).first()
    doc = p.stages.get(stage="application").documents.get()
    admin = client_for(w.users["city_admin"])
    for url in (
        "/projects/",
        "/projects/?export=xlsx",
        "/projects/?overdue=true&level=city&stage=opening&status=ongoing",
        f"/projects/{p.pk}/",
        "/projects/calls/",
        "/projects/calls/?export=xlsx",
        "/projects/calls/new/",
        f"/projects/calls/{call.pk}/",
        f"/projects/calls/{call.pk}/?export=xlsx",
        "/projects/overview/",
        "/projects/overview/?export=xlsx",
        f"/projects/overview/?within={w.units['linwei'].pk}",
        f"/projects/documents/{doc.pk}/",
    ):
        assert admin.get(url).status_code == 200, url
    teacher = client_for(w.users["teacher"])
    for url in (
        "/projects/",
        f"/projects/{p.pk}/",
        "/projects/apply/",
        f"/projects/calls/{call.pk}/",
    ):
        assert teacher.get(url).status_code == 200, url
    expert = client_for(experts[0].user)
    for url in (
        "/projects/reviews/",
        "/projects/reviews/?export=xlsx",
        f"/projects/reviews/{review.pk}/",
        f"/projects/{p.pk}/",
    ):
        assert expert.get(url).status_code == 200, url
    # The teacher may not see the reviews' page nor the call's creation form.
    assert teacher.get(f"/projects/reviews/{review.pk}/").status_code == 404
    assert teacher.get("/projects/calls/new/").status_code == 403


def test_apply_and_review_through_the_pages(world, client_for, call, experts):
    w = world
    teacher = client_for(w.users["teacher"])
    r = teacher.post(
        "/projects/apply/",
        {
            "title": "初中数学作业分层设计研究",
            "call": call.pk,
            "theme": "作业设计",
            "members": "T001",
            "application_form": pdf(),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    p = Project.objects.get()
    assert set(p.members.values_list("person__staff_no", flat=True)) == {"T001", "T002"}
    admin = client_for(w.users["city_admin"])
    r = admin.post(f"/projects/{p.pk}/experts/", {"experts": "E001, E002"})
    assert r.status_code == 302
    for e in experts:
        review = Review.objects.get(expert=e)
        r = client_for(e.user).post(
            f"/projects/reviews/{review.pk}/",
            {"score": "86", "verdict": "approve", "opinion": "好"},
        )
        assert r.status_code == 302
    r = admin.post(
        f"/projects/calls/{call.pk}/decide/", {"projects": [p.pk], "decision": "approve"}
    )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.number == "610500901-2025-0001"
    page = teacher.get(f"/projects/{p.pk}/").content.decode()
    assert "610500901-2025-0001" in page and "开题报告" in page


def test_refusal_shows_its_message_and_writes_nothing(world, client_for, call):
    w = world
    teacher = client_for(w.users["teacher"])
    r = teacher.post("/projects/apply/", {"title": "没有申报书", "call": call.pk, "theme": "x"})
    assert r.status_code == 200
    assert "请上传申报书" in r.content.decode()
    assert not Project.objects.exists()
    p = apply(w, call)
    r = client_for(w.users["city_admin"]).post(
        f"/projects/{p.pk}/experts/", {"experts": "T001"}, follow=True
    )
    assert "承担单位" in r.content.decode()
    assert not Review.objects.exists()


def test_query_counts_do_not_grow(world, client_for, call, experts, django_assert_max_num_queries):
    w = world
    _many(w, call, 3)
    admin = client_for(w.users["city_admin"])
    urls = ["/projects/", f"/projects/calls/{call.pk}/", "/projects/calls/", "/projects/overview/"]
    small = {}
    for url in urls:
        with django_assert_max_num_queries(30) as q:
            assert admin.get(url).status_code == 200
        small[url] = len(q.captured_queries)
    _many(w, call, 30, start=100)
    for url in urls:
        with django_assert_max_num_queries(small[url]):
            assert admin.get(url).status_code == 200, url
    p = approve(w, Project.objects.order_by("pk").first(), experts)
    with django_assert_max_num_queries(30):
        assert admin.get(f"/projects/{p.pk}/").status_code == 200
    expert = client_for(experts[0].user)
    with django_assert_max_num_queries(20):
        assert expert.get("/projects/reviews/").status_code == 200


def test_call_applications_export(world, client_for, call):
    w = world
    apply(w, call)
    r = client_for(w.users["city_admin"]).get(f"/projects/calls/{call.pk}/?export=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "初中数学作业分层设计研究" in values
