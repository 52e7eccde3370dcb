"""Pairing assistance: the rules, two-sided scope, totals, and the before/after figures
recomputed from the raw score rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.activities.models import Activity
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.resolve import Unresolved
from jiaoyan.observations.models import Observation
from jiaoyan.pairing import queries, services
from jiaoyan.pairing.models import Fund, Pairing, PersonSent
from jiaoyan.quality.models import Candidate, Exam
from jiaoyan.quality.stats import cut_line
from tests.activities.scope_cases import _activity
from tests.conftest import make_person, make_school, make_unit
from tests.quality.helpers import import_and_analyse, make_exam

START = dt.date(2024, 9, 1)
END = dt.date(2026, 8, 31)


def _pair(w, **kw) -> Pairing:
    """临渭区第一初级中学 helps 华州区第一小学, made by the city bureau (their common
    ancestor)."""
    args = {
        "actor": w.users["city_admin"],
        "title": "临渭一中帮扶华州一小",
        "helping": w.schools["school_a"].org_unit.code,
        "helped": w.schools["school_c"].org_unit.code,
        "start_date": START,
        "end_date": END,
    }
    args.update(kw)
    return services.create_pairing(**args)


# --- rules ------------------------------------------------------------------------------------


def _refused(w, exc, **kw):
    before = (Pairing.objects.count(), AuditLog.objects.count())
    with pytest.raises(exc) as info:
        _pair(w, **kw)
    assert (Pairing.objects.count(), AuditLog.objects.count()) == before
    return info.value


def test_sides_must_differ(world):
    e = _refused(world, ServiceError, helped=world.schools["school_a"].org_unit.code)
    assert e.field == "helped"


def test_sides_are_of_one_level(world):
    e = _refused(world, ServiceError, helped=world.units["huazhou"].code)
    assert e.field == "helped"


def test_period_must_be_valid(world):
    e = _refused(world, ServiceError, start_date=END, end_date=START)
    assert e.field == "end_date"


def test_helped_side_beyond_scope_needs_the_explicit_path(world):
    """The 华州区 admin helps a 临渭区 school: without ``beyond_scope`` the school is
    unknown (the resolver's answer, as for a code that exists nowhere); with it, the
    pairing is made, the code typed is audited and both sides see it."""
    outsider = world.users["outsider"]
    target = world.schools["school_b"].org_unit.code
    kw = {"actor": outsider, "helping": world.schools["school_c"].org_unit.code}
    e1 = _refused(world, Unresolved, helped=target, **kw)
    e2 = _refused(world, Unresolved, helped="9999999999", beyond_scope=True, **kw)
    assert e1.text == e2.text and e1.field == e2.field == "helped"
    # An id is never looked up beyond scope.
    _refused(world, Unresolved, helped=world.schools["school_b"].pk, beyond_scope=True, **kw)
    p = _pair(world, helped=target, beyond_scope=True, **kw)
    assert p.org_unit == world.units["huazhou"]
    assert AuditLog.objects.filter(object_id=p.pk, changes__helped_beyond_scope__1=target).exists()
    for name in ("outsider", "district_researcher", "city_admin"):
        assert Pairing.objects.visible_to(world.users[name]).filter(pk=p.pk).exists(), name
    # Another school of the helped district is no side of it.
    assert not Pairing.objects.visible_to(world.users["principal"]).filter(pk=p.pk).exists()


def test_only_a_bureau_covering_the_helping_side_creates(world):
    _refused(
        world,
        PermissionDenied,
        actor=world.users["principal"],
        helping=world.schools["school_a"].org_unit.code,
    )
    # The helping side must be in the creator's scope.
    _refused(world, Unresolved, actor=world.users["outsider"])


def test_funds_are_positive(world):
    p = _pair(world)
    for bad in ("0", "-5", "abc", "1.234", "NaN"):
        with pytest.raises(ServiceError) as info:
            services.add_fund(
                actor=world.users["city_admin"], pairing=p, amount=bad, date=START, purpose="图书"
            )
        assert info.value.field == "amount"
    assert not Fund.objects.exists()


def test_people_sent_fit_the_period_and_come_from_the_helping_side(world):
    p = _pair(world)
    admin = world.users["city_admin"]
    common = {"actor": admin, "pairing": p, "role": PersonSent.Role.SUPPORT_TEACHING}
    with pytest.raises(ServiceError):
        services.add_person_sent(
            person="T002", start_date=START - dt.timedelta(days=1), end_date=END, **common
        )
    with pytest.raises(Unresolved):  # a teacher of the helped side is no one to send
        services.add_person_sent(person="H101", start_date=START, end_date=END, **common)
    assert not PersonSent.objects.exists()


# --- scope: two sides, nothing else -------------------------------------------------------------


def test_each_side_sees_the_pairing_and_nothing_else_of_the_other(world, client_for):
    p = _pair(world)
    third = make_unit("610526", "蒲城县", world.units["city"], "county")
    make_person("P001", "孙局长", third, role="bureau_admin", username="third_admin")
    from jiaoyan.people.models import User

    third_user = User.objects.get(username="third_admin")
    # Both sides and the city see it; a third district does not.
    for name in ("principal", "teacher", "district_researcher", "outsider", "city_admin"):
        assert client_for(world.users[name]).get(f"/pairing/{p.pk}/").status_code == 200, name
    assert client_for(third_user).get(f"/pairing/{p.pk}/").status_code == 404
    assert not Pairing.objects.visible_to(third_user).exists()
    # The other side's other data stays invisible: a 华州区 activity and observation.
    act = _activity(world)
    from tests.observations.scope_cases import _observation

    obs = _observation(world)
    for name in ("principal", "teacher", "district_researcher"):
        user = world.users[name]
        assert not Activity.objects.visible_to(user).filter(pk=act.pk).exists(), name
        assert not Observation.objects.visible_to(user).filter(pk=obs.pk).exists(), name
    # A joint activity becomes visible to the helping side, and only that one.
    services.link_activity(actor=world.users["outsider"], pairing=p, activity=act.pk)
    other = _activity(world, description="另一场")
    user = world.users["principal"]
    assert Activity.objects.visible_to(user).filter(pk=act.pk).exists()
    assert not Activity.objects.visible_to(user).filter(pk=other.pk).exists()
    assert not Activity.objects.visible_to(third_user).filter(pk=act.pk).exists()
    page = client_for(user).get(act.get_absolute_url()).content.decode()
    assert 'data-testid="activity-pairings"' in page and p.title in page


def test_an_unlinked_joint_activity_is_hidden_from_the_other_side_again(world, client_for):
    """Unlinking takes back the view the link gave the other side (a 404 again), unless
    another pairing's link still gives it; the organising side keeps seeing it, and a
    grant given for another reason stays."""
    from django.contrib.contenttypes.models import ContentType

    from jiaoyan.core.models import ScopeGrant
    from jiaoyan.core.scope import grant
    from jiaoyan.pairing.models import JointActivity

    p = _pair(world)  # 临渭一中 helps 华州一小
    q = _pair(  # 临渭一中 helps 临渭二小 as well
        world, title="临渭一中帮扶临渭二小", helped=world.schools["school_b"].org_unit.code
    )
    act = _activity(world)  # 华州区教育局's
    url = act.get_absolute_url()
    other_side = [client_for(world.users[n]) for n in ("principal", "teacher")]
    own_side = client_for(world.users["outsider"])
    for c in other_side:
        assert c.get(url).status_code == 404
    link_p = services.link_activity(actor=world.users["outsider"], pairing=p, activity=act.pk)
    link_q = services.link_activity(actor=world.users["city_admin"], pairing=q, activity=act.pk)
    for c in other_side:
        assert c.get(url).status_code == 200
    # q still names the activity for 临渭一中: unlinking p leaves that view.
    services.unlink_activity(actor=world.users["city_admin"], link=link_p)
    for c in other_side:
        assert c.get(url).status_code == 200
    school_b = world.schools["school_b"].org_unit
    school_c = world.schools["school_c"].org_unit
    grants = ScopeGrant.objects.filter(
        content_type=ContentType.objects.get_for_model(Activity),
        object_id=act.pk,
        unit__isnull=False,
    )
    assert set(grants.values_list("unit", flat=True)) == {
        world.schools["school_a"].org_unit.pk,
        school_b.pk,
    }
    # A grant another feature gave 临渭二小 is not the link's to take back.
    grants.filter(unit=school_b).delete()
    grant(act, unit=school_b, reason="another share")
    services.unlink_activity(actor=world.users["city_admin"], link=link_q)
    assert not JointActivity.objects.filter(activity=act).exists()
    for c in other_side:
        assert c.get(url).status_code == 404
    assert not Activity.objects.visible_to(world.users["principal"]).filter(pk=act.pk).exists()
    assert list(grants.values_list("unit", "reason")) == [(school_b.pk, "another share")]
    assert own_side.get(url).status_code == 200
    assert school_c.pk not in set(grants.values_list("unit", flat=True))


def test_the_pairing_form_page_creates(world, client_for):
    client = client_for(world.users["city_admin"])
    assert client.get("/pairing/new/").status_code == 200
    assert client_for(world.users["teacher"]).get("/pairing/new/").status_code == 403
    data = {
        "title": "表单结对",
        "helping": world.schools["school_a"].org_unit.code,
        "helped": world.schools["school_c"].org_unit.code,
        "start_date": "2025-09-01",
        "end_date": "2025-08-01",
    }
    assert client.post("/pairing/new/", data).status_code == 200  # the period, refused
    assert not Pairing.objects.exists()
    data["end_date"] = "2028-08-31"
    data["agreement_file"] = SimpleUploadedFile("协议.pdf", b"%PDF-1.4 x", "application/pdf")
    resp = client.post("/pairing/new/", data)
    p = Pairing.objects.get()
    assert resp.status_code == 302 and resp["Location"] == p.get_absolute_url()
    assert p.agreement_name == "协议.pdf"


def test_side_rules_for_writes(world):
    p = _pair(world)
    # The helped side's admin may not record funds or people sent (the helping side gives).
    with pytest.raises(PermissionDenied):
        services.add_fund(
            actor=world.users["outsider"], pairing=p, amount="1", date=START, purpose="x"
        )
    # Either side reports, for its own side only.
    services.add_report(
        actor=world.users["outsider"], pairing=p, side="helped", period="2025上", text="进展"
    )
    with pytest.raises(ServiceError):
        services.add_report(
            actor=world.users["outsider"], pairing=p, side="helping", period="2025上", text="x"
        )


# --- totals -------------------------------------------------------------------------------------


def test_funds_and_people_sent_total(world, client_for, api_for):
    p = _pair(world)
    admin = world.users["city_admin"]
    for amount, day in (
        ("2050000", dt.date(2024, 10, 1)),
        ("1200.50", dt.date(2025, 3, 2)),
        ("300", dt.date(2025, 5, 1)),
    ):
        services.add_fund(actor=admin, pairing=p, amount=amount, date=day, purpose="帮扶")
    for role in (PersonSent.Role.SUPPORT_TEACHING, PersonSent.Role.STATIONED):
        services.add_person_sent(
            actor=admin,
            pairing=p,
            person="T002",
            role=role,
            start_date=START,
            end_date=dt.date(2025, 1, 20),
            work="支教",
        )
    totals = queries.fund_totals([p.pk])
    assert totals["total"] == Decimal("2051500.50")
    assert {r["year"]: r["total"] for r in totals["per_year"]} == {
        2024: Decimal("2050000"),
        2025: Decimal("1500.50"),
    }
    sent = queries.people_sent_totals([p.pk])
    assert sent["rows"] == 2 and sent["people"] == 1
    figures = api_for(world.users["outsider"]).get(f"/api/v1/pairings/{p.pk}/figures").json()
    assert figures["funds_total"] == 2051500.5 and figures["people_sent"] == 1
    funds = api_for(world.users["principal"]).get("/api/v1/pairing-funds?year=2025").json()
    assert funds["count"] == 2
    page = client_for(world.users["outsider"]).get("/pairing/funds/")
    assert "2051500.50" in page.content.decode()
    xlsx = client_for(world.users["outsider"]).get("/pairing/people/?export=xlsx")
    assert xlsx.status_code == 200


def test_api_writes_go_through_the_services(world, api_for):
    api = api_for(world.users["city_admin"])
    body = {
        "title": "API结对",
        "helping": world.schools["school_a"].org_unit.code,
        "helped": world.schools["school_c"].org_unit.code,
        "start_date": "2025-01-01",
        "end_date": "2024-01-01",
    }
    assert api.post("/api/v1/pairings", body, content_type="application/json").status_code == 400
    body["end_date"] = "2026-01-01"
    resp = api.post("/api/v1/pairings", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    bad = api.post(
        f"/api/v1/pairings/{pk}/funds",
        {"amount": "-1", "date": "2025-02-01", "purpose": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and not Fund.objects.exists()
    ok = api.post(
        f"/api/v1/pairings/{pk}/funds",
        {"amount": "100", "date": "2025-02-01", "purpose": "图书"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["amount"] == 100.0
    assert api_for(world.users["outsider"]).get(f"/api/v1/pairings/{pk}").status_code == 200


def test_agreement_document_through_the_upload_guard(world, client_for):
    p = _pair(world)
    doc = SimpleUploadedFile("协议.pdf", b"%PDF-1.4 agreement", "application/pdf")
    # The helped side's principal may not change the pairing: refused before the body.
    resp = client_for(world.users["principal"]).post(
        f"/pairing/{p.pk}/agreement/", {"signed_on": "2024-08-20", "file": doc}
    )
    assert resp.status_code == 403
    doc.seek(0)
    resp = client_for(world.users["city_admin"]).post(
        f"/pairing/{p.pk}/agreement/", {"signed_on": "2024-08-20", "file": doc}
    )
    assert resp.status_code == 302
    p.refresh_from_db()
    assert p.agreement_signed_on == dt.date(2024, 8, 20) and p.agreement_name == "协议.pdf"
    got = client_for(world.users["outsider"]).get(f"/pairing/{p.pk}/agreement/file/")
    assert got.status_code == 200 and b"".join(got.streaming_content).startswith(b"%PDF")


# --- before/after, from the raw score rows ------------------------------------------------------


def _rows(codes, n, mean, seed):
    rng = np.random.default_rng(seed)
    rows, no = [], 0
    for code in codes:
        for _i in range(n):
            no += 1
            scores = [
                float(np.clip(np.round(rng.normal(mean[code] * f, 0.12 * f)), 0, f))
                for f in (120, 120, 100)
            ]
            if no % 9 == 0:
                scores[1] = None
            rows.append([f"{seed}{no:05d}", code, "1班", "男", f"G{seed}{no:05d}", *scores])
    return rows


def _direct(exam: Exam, codes: list[str]) -> dict:
    """Total-score figures of the students of ``codes`` computed from Candidate rows."""
    full = sum(s.full_marks for s in exam.subjects.all())
    cands = list(Candidate.objects.filter(exam=exam).select_related("school"))

    def totals(cs):
        return np.array([sum(c.scores) for c in cs if None not in c.scores], dtype=float)

    everyone = totals(cands)
    x = totals([c for c in cands if c.school.code in codes])
    mu, sd = everyone.mean(), everyone.std()
    return {
        "n": len(x),
        "mean": x.mean(),
        "pass_rate": float(np.mean(x >= cut_line(exam.pass_cut, full))),
        "excellent_rate": float(np.mean(x >= cut_line(exam.excellent_cut, full))),
        "z": (x.mean() - mu) / sd,
    }


def test_before_after_equal_a_direct_computation(world, api_for, client_for):
    city = world.units["city"]
    d = make_school("6105020003", "临渭区第三小学", world.units["renmin"])
    e = make_school("6105030003", "华州区第三小学", world.units["huazhou"])
    rural = make_school("6105030004", "华州区乡村小学", world.units["huazhou"], location="rural")
    c = world.schools["school_c"]
    codes = [c.code, d.code, e.code, rural.code]
    exams = {}
    for name, day, seed, helped_mean in (
        ("2024年六年级监测", dt.date(2024, 6, 20), 11, 0.55),
        ("2025年六年级监测", dt.date(2025, 6, 20), 12, 0.70),
    ):
        exam = make_exam(world, owner=city, name=name, date=day, stage="primary", grade=6)
        means = {c.code: helped_mean, d.code: 0.65, e.code: 0.62, rural.code: 0.5}
        import_and_analyse(world, exam, _rows(codes, 14, means, seed))
        exams[day.year] = exam
    p = _pair(world)
    figs = api_for(world.users["outsider"]).get(f"/api/v1/pairings/{p.pk}/figures").json()
    assert figs["before_exam"]["id"] == exams[2024].pk
    assert figs["after_exam"]["id"] == exams[2025].pk
    # Comparable: 临渭三小 and 华州三小 (primary, urban); not the rural one, not the helped.
    assert figs["comparable_units"] == 2
    for when, year in (("before", 2024), ("after", 2025)):
        for who, group in (("helped", [c.code]), ("comparable", [d.code, e.code])):
            want = _direct(exams[year], group)
            got = figs[f"{who}_{when}"]
            assert got["n"] == want["n"] and not got["hidden"]
            for key in ("mean", "pass_rate", "excellent_rate", "z"):
                assert got[key] == pytest.approx(want[key], abs=1e-9), (who, when, key)
    page = client_for(world.users["principal"]).get(f"/pairing/{p.pk}/")
    assert page.status_code == 200
    assert f"{_direct(exams[2025], [c.code])['mean']:.2f}" in page.content.decode()


def test_small_groups_are_suppressed(world, api_for):
    city = world.units["city"]
    c = world.schools["school_c"]
    exam = make_exam(world, owner=city, name="小样本", date=dt.date(2025, 6, 20), stage="primary")
    import_and_analyse(world, exam, _rows([c.code], 6, {c.code: 0.6}, 5))
    p = _pair(world)
    figs = api_for(world.users["principal"]).get(f"/api/v1/pairings/{p.pk}/figures").json()
    assert figs["helped_after"]["hidden"] and figs["helped_after"]["mean"] is None


def test_observations_and_joint_hours_equal_a_direct_computation(world):
    from django.contrib.contenttypes.models import ContentType

    from jiaoyan.hours.models import HoursRecord
    from jiaoyan.observations.models import Rubric
    from jiaoyan.observations.terms import term_start
    from tests.observations.conftest import observe

    p = _pair(world)
    rubric = Rubric.objects.get(org_unit__isnull=True)
    for day, share in (
        (dt.date(2024, 3, 10), 0.6),
        (dt.date(2024, 8, 20), 0.7),  # in the start term, before the start date
        (dt.date(2024, 10, 10), 0.9),
        (dt.date(2025, 3, 1), 0.8),
    ):
        observe(
            world,
            rubric,
            observer="outsider",
            teacher="teacher_c",
            stage="primary",
            date=day,
            share=share,
        )
    got = queries.observation_averages(p)
    first = term_start(p.start_date)
    rows = Observation.objects.filter(
        unit_path__startswith=p.helped_unit.path, status=Observation.Status.SUBMITTED
    )
    for when, q in (("before", {"term__lt": first}), ("after", {"term__gte": first})):
        totals = [float(t) for t in rows.filter(**q).values_list("total", flat=True)]
        assert got[when]["n"] == len(totals) and len(totals) >= 1
        assert got[when]["mean"] == pytest.approx(sum(totals) / len(totals))
    # Hours of the helped side's people for the joint activity only.
    act = _activity(world)
    other = _activity(world, description="不是联合活动")
    services.link_activity(actor=world.users["outsider"], pairing=p, activity=act.pk)
    ct = ContentType.objects.get_for_model(Activity)
    for source, person, hours in (
        (act, "teacher_c", "2.0"),
        (other, "teacher_c", "3.0"),
        (act, "teacher", "1.5"),
    ):
        HoursRecord.objects.create(
            person=world.people[person],
            hours=Decimal(hours),
            kind="activity",
            date=START,
            title=source.title,
            source_type=ct,
            source_id=source.pk,
        )
    assert queries.joint_hours(p) == {"total": Decimal("2.0"), "people": 1}


# --- query counts ---------------------------------------------------------------------------


def _many(world, n: int) -> Pairing:
    """``n`` pairings with a fund, a person sent and a report each (more than a page)."""
    admin = world.users["city_admin"]
    helped = [
        make_school(f"61050300{i + 10:02d}", f"华州区结对小学{i}", world.units["huazhou"])
        for i in range(n)
    ]
    last = None
    for i, school in enumerate(helped):
        last = _pair(world, helped=school.code, title=f"结对{i}")
        services.add_fund(actor=admin, pairing=last, amount="10", date=START, purpose=f"资金{i}")
        services.add_person_sent(
            actor=admin,
            pairing=last,
            person="T002",
            role="teaching",
            start_date=START,
            end_date=END,
            work=f"支教{i}",
        )
        services.add_report(
            actor=world.users["principal"], pairing=last, side="helping", period="2025", text="x"
        )
    return last


@pytest.mark.parametrize("url", ["/pairing/", "/pairing/funds/", "/pairing/people/"])
def test_list_query_counts_do_not_grow(world, client_for, django_assert_max_num_queries, url):
    _many(world, 3)
    client = client_for(world.users["principal"])
    client.get(url)
    with django_assert_max_num_queries(16) as few:
        assert client.get(url).status_code == 200
    _many_more = [  # past one page of 25
        _pair(
            world,
            helped=make_school(f"61050301{i:02d}", f"华州区小学{i}", world.units["huazhou"]).code,
            title=f"又一结对{i}",
        )
        for i in range(26)
    ]
    with django_assert_max_num_queries(16) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_pairing_page_query_count(world, client_for, django_assert_max_num_queries):
    p = _many(world, 2)
    client = client_for(world.users["principal"])
    client.get(f"/pairing/{p.pk}/")
    with django_assert_max_num_queries(24):
        assert client.get(f"/pairing/{p.pk}/").status_code == 200


def test_api_lists_filter(world, api_for):
    p = _pair(world)
    services.add_person_sent(
        actor=world.users["city_admin"],
        pairing=p,
        person="T002",
        role="stationed",
        start_date=START,
        end_date=dt.date(2025, 1, 31),
        work="驻校",
    )
    api = api_for(world.users["city_admin"])

    def ids(url):
        resp = api.get(url)
        assert resp.status_code == 200, resp.content
        return [i["id"] for i in resp.json()["items"]]

    assert ids("/api/v1/pairings") == [p.pk]
    assert ids("/api/v1/pairings?level=school") == [p.pk]
    assert ids("/api/v1/pairings?level=county") == []
    assert ids(f"/api/v1/pairings?within={world.units['huazhou'].pk}") == [p.pk]
    assert ids("/api/v1/pairings?year=2023") == []
    assert ids("/api/v1/pairings?year=2026") == [p.pk]
    assert api.get("/api/v1/pairings?year=99999").status_code == 422
    assert len(ids("/api/v1/pairing-people?role=stationed&year=2025")) == 1
    assert ids("/api/v1/pairing-people?role=teaching") == []
    detail = api.get(f"/api/v1/pairings/{p.pk}").json()
    assert detail["org_unit"] == world.units["city"].pk
    assert detail["helped_unit_name"] == "华州区第一小学"


def test_the_migration_takes_back_grants_left_by_earlier_unlinks(world):
    """Activities unlinked before unlinking revoked anything keep no grant of the link's
    reason; grants still backed by a link stay."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    from jiaoyan.core.models import ScopeGrant
    from jiaoyan.pairing.models import JointActivity

    migration = importlib.import_module(
        "jiaoyan.pairing.migrations.0003_revoke_grants_of_unlinked_activities"
    )
    p = _pair(world)
    kept, left = _activity(world), _activity(world, description="早先取消关联的一场")
    services.link_activity(actor=world.users["outsider"], pairing=p, activity=kept.pk)
    services.link_activity(actor=world.users["outsider"], pairing=p, activity=left.pk)
    JointActivity.objects.filter(activity=left).delete()  # as an unlink did before the fix
    grants = ScopeGrant.objects.filter(content_type=ContentType.objects.get_for_model(Activity))
    assert grants.filter(object_id=left.pk).count() == 2
    migration.revoke(apps, None)
    assert not grants.filter(object_id=left.pk).exists()
    assert grants.filter(object_id=kept.pk).count() == 2
    assert not Activity.objects.visible_to(world.users["principal"]).filter(pk=left.pk).exists()
