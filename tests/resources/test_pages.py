"""The library's pages, as people use them: a teacher writes a draft, attaches a file
and submits; the principal assigns the district researcher, who reviews; the principal
returns it with comments the teacher reads on the page; lists, exports and query counts."""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pytest

from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.resources import services
from jiaoyan.resources.models import Resource, Review, Status
from tests.resources.conftest import PDF, draft, in_review, reviewed, upload
from tests.support import zh

pytestmark = pytest.mark.usefixtures("chinese")


def test_a_teacher_writes_submits_and_reads_why_it_was_returned(world, client_for):
    w = world
    teacher = client_for(w.users["teacher"])
    assert teacher.get("/resources/new/").status_code == 200
    resp = teacher.post(
        "/resources/new/",
        {
            "org_unit": w.schools["school_a"].org_unit.pk,
            "kind": "slides",
            "title": "勾股定理课件",
            "summary": "八年级下册",
            "subject": Subject.objects.get(name="数学").pk,
            "stage": Stage.objects.get(code="junior").pk,
            "grade": 8,
            "themes": "新课标，大单元",
            "authors": "",
            "visibility": "internal",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    r = Resource.objects.get(title="勾股定理课件")
    assert r.themes == ["新课标", "大单元"]
    assert list(r.authors.all()) == [w.people["teacher"]]
    page = teacher.get(r.get_absolute_url())
    assert page.status_code == 200 and 'data-testid="file-form"' in page.content.decode()
    assert (
        teacher.post(f"/resources/{r.pk}/files/", {"file": upload("勾股定理.pdf", PDF)}).status_code
        == 302
    )
    assert teacher.post(f"/resources/{r.pk}/submit/").status_code == 302
    r.refresh_from_db()
    assert r.status == Status.SUBMITTED

    # The district researcher assigns the school's principal (a person they may name).
    researcher = client_for(w.users["district_researcher"])
    detail = researcher.get(r.get_absolute_url()).content.decode()
    assert 'data-testid="reviewer-form"' in detail
    assert researcher.post(f"/resources/{r.pk}/reviewers/", {"reviewer": "T001"}).status_code == 302
    review = Review.objects.get(resource=r)

    principal = client_for(w.users["principal"])
    queue = principal.get("/resources/reviews/").content.decode()
    assert "勾股定理课件" in queue
    form = principal.get(f"/resources/reviews/{review.pk}/")
    assert form.status_code == 200
    data = {f"score_{n}": c["max"] - 3 for n, c in enumerate(review.criteria)}
    data.update(comment="动画演示可以更清楚。", recommendation="return")
    assert principal.post(f"/resources/reviews/{review.pk}/", data).status_code == 302
    review.refresh_from_db()
    assert review.status == "done" and review.comment == "动画演示可以更清楚。"

    resp = researcher.post(
        f"/resources/{r.pk}/decision/", {"decision": "return", "comment": "请补充证明过程的动画。"}
    )
    assert resp.status_code == 302
    page = teacher.get(r.get_absolute_url()).content.decode()
    assert "请补充证明过程的动画。" in page  # why, on the step
    assert "动画演示可以更清楚。" in page  # the review's comment
    assert "李校长" not in page  # … without the reviewer's name
    assert 'data-testid="submit-resource"' in page  # resubmit
    # The teacher's home panel says a resource came back.
    assert 'data-testid="home-resources"' in teacher.get("/").content.decode()


def test_a_bad_score_comes_back_on_the_form_and_nothing_is_recorded(world, client_for):
    _r, review = in_review(world)
    client = client_for(world.users["district_researcher"])
    data = {f"score_{n}": c["max"] for n, c in enumerate(review.criteria)}
    data["score_0"] = review.criteria[0]["max"] + 5
    resp = client.post(f"/resources/reviews/{review.pk}/", data)
    assert resp.status_code == 200
    first = review.criteria[0]
    message = zh(
        "The score for “%(name)s” must be between 0 and %(max)s.",
        name=first["name"],
        max=f"{first['max']:g}",
    )
    assert message in resp.content.decode()
    assert Review.objects.get(pk=review.pk).status == "assigned"


def test_an_empty_title_comes_back_on_the_form(world, client_for):
    client = client_for(world.users["teacher"])
    count = Resource.objects.count()
    resp = client.post(
        "/resources/new/",
        {
            "org_unit": world.schools["school_a"].org_unit.pk,
            "kind": "slides",
            "title": " ",
            "visibility": "internal",
        },
    )
    assert resp.status_code == 200
    assert Resource.objects.count() == count


def test_pages_refuse_who_may_not(world, client_for):
    r = draft(world)
    counsellor = client_for(world.users["counsellor"])
    assert counsellor.get(r.get_absolute_url()).status_code == 404
    assert counsellor.get(f"/resources/{r.pk}/edit/").status_code == 404
    _r, review = in_review(world)
    assert (
        client_for(world.users["principal"]).get(f"/resources/reviews/{review.pk}/").status_code
        == 403
    )
    # The reviewer reads the resource, but cannot edit it.
    researcher = client_for(world.users["district_researcher"])
    assert researcher.get(f"/resources/{review.resource_id}/edit/").status_code == 403


def test_the_library_lists_filters_and_exports(world, client_for):
    r, _rv = reviewed(world)
    services.decide(actor=world.users["principal"], resource=r, decision="publish")
    mine = draft(world, title="我的草稿")
    teacher = client_for(world.users["teacher"])
    lib = teacher.get("/resources/?kind=lesson_design&status=published").content.decode()
    assert r.title in lib and "我的草稿" not in lib
    assert "我的草稿" in teacher.get("/resources/mine/").content.decode()
    assert (
        "我的草稿" not in client_for(world.users["counsellor"]).get("/resources/").content.decode()
    )
    export = teacher.get("/resources/?export=xlsx")
    assert export.status_code == 200
    book = openpyxl.load_workbook(BytesIO(export.content), read_only=True)
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert r.title in cells and mine.title in cells and "张老师" in cells


def test_query_counts_do_not_grow(world, client_for, django_assert_max_num_queries):
    w = world
    for i in range(3):
        reviewed(w, title=f"资源{i}")
    teacher = client_for(w.users["teacher"])
    researcher = client_for(w.users["district_researcher"])
    counts = {}
    for url, client in (
        ("/resources/", teacher),
        ("/resources/mine/", teacher),
        ("/resources/reviews/?status=", researcher),
    ):
        with django_assert_max_num_queries(20) as q:
            assert client.get(url).status_code == 200
        counts[url] = len(q.captured_queries)
    for i in range(30):
        reviewed(w, title=f"更多资源{i}")
    for url, client in (
        ("/resources/", teacher),
        ("/resources/mine/", teacher),
        ("/resources/reviews/?status=", researcher),
    ):
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    r = Resource.objects.filter(title="更多资源0").first()
    with django_assert_max_num_queries(25):
        assert teacher.get(r.get_absolute_url()).status_code == 200
    principal = client_for(w.users["principal"])
    with django_assert_max_num_queries(25):
        assert principal.get(r.get_absolute_url()).status_code == 200
    review = r.reviews.first()
    with django_assert_max_num_queries(20):
        assert researcher.get(f"/resources/reviews/{review.pk}/").status_code == 200


def test_the_curriculum_page_and_its_form(world, client_for):
    admin = client_for(world.users["city_admin"])
    math = Subject.objects.get(name="数学")
    resp = admin.post(
        "/resources/curriculum/",
        {"subject": math.pk, "edition": "人教版", "name": "第二十一章 一元二次方程", "grade": 9},
    )
    assert resp.status_code == 302
    page = client_for(world.users["teacher"]).get(resp["Location"]).content.decode()
    assert "第二十一章 一元二次方程" in page
    assert 'data-testid="curriculum-form"' not in page
    assert (
        client_for(world.users["teacher"])
        .post("/resources/curriculum/", {"subject": math.pk, "edition": "x", "name": "y"})
        .status_code
        == 403
    )
