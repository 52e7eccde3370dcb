"""The self-review (专业标准自评) and the annual appraisal (年度考核): computed indicators
equal an independent count over the raw rows; the 优秀 quota holds; the workflow's steps
are each one role's; bad input is refused in Chinese with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jiaoyan.core.errors import ServiceError
from jiaoyan.ledger.models import Item
from jiaoyan.observations.models import LiaisonAssignment, Observation
from jiaoyan.observations.terms import term_of
from jiaoyan.researchers import queries_appraisal as aq
from jiaoyan.researchers import services, services_appraisal
from jiaoyan.researchers.models import (
    Appraisal,
    AppraisalScheme,
    Grade,
    ResearcherProfile,
    ReviewStandard,
    SelfReview,
    Visit,
)
from tests.conftest import make_person
from tests.researchers.test_work_record import rubric_builtin, year  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _scheme(world, year_=2025, **kw) -> AppraisalScheme:
    return services_appraisal.create_scheme(
        actor=world.users["city_admin"], org_unit=world.units["city_bureau"], year=year_, **kw
    )


def _open(world, **kw) -> AppraisalScheme:
    scheme = _scheme(world, **kw)
    services_appraisal.open_scheme(actor=world.users["city_admin"], scheme=scheme)
    scheme.refresh_from_db()
    return scheme


def _colleague(world, staff_no: str, name: str) -> ResearcherProfile:
    person = make_person(
        staff_no, name, world.units["linwei_institute"], role="researcher", username=staff_no
    )
    return services.create_profile(
        actor=world.users["city_admin"], person=person, org_unit=world.units["linwei_institute"]
    )


def _assessed(world, appraisal: Appraisal, user=None) -> Appraisal:
    return services_appraisal.self_assess(
        actor=user or appraisal.profile.person.user,
        appraisal=appraisal,
        summary="本年度完成听评课和联系学校指导任务",
        self_grade=Grade.EXCELLENT,
    )


def _review(world, appraisal: Appraisal, *, guidance="19", research="19", grade=""):
    return services_appraisal.review_appraisal(
        actor=world.users["city_admin"],
        appraisal=appraisal,
        scores={"guidance": guidance, "research": research},
        comments={"guidance": "指导扎实"},
        comment="年度工作成效明显",
        grade=grade,
    )


# --- computed indicators ---------------------------------------------------------------------


def independent_measures(profile) -> dict:
    """The measures counted row by row from the raw tables, without the work record."""
    start, end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    user_id = profile.person.user_id
    observed = [
        o
        for o in Observation.objects.all()
        if o.observer_id == user_id
        and o.status == Observation.Status.SUBMITTED
        and start <= o.date <= end
    ]
    items = [
        i
        for i in Item.objects.all()
        if i.responsible_person_id == profile.person_id
        and start <= i.due_on <= end
        and i.status != "cancelled"
    ]
    on_time = [
        i
        for i in items
        if i.status in ("done", "verified") and timezone.localtime(i.done_at).date() <= i.due_on
    ]
    pairs = reached = 0
    for term in (term_of(dt.date(2025, 3, 1)), term_of(dt.date(2025, 9, 1))):
        schools = {
            la.school_id
            for la in LiaisonAssignment.objects.all()
            if la.researcher_id == profile.person_id
            and la.start_date <= term.end
            and (la.end_date is None or la.end_date >= term.start)
        }
        touched = {
            v.school_id
            for v in Visit.objects.all()
            if v.researcher_id == profile.person_id and term.start <= v.date <= term.end
        } | {
            o.org_unit_id
            for o in Observation.objects.all()
            if o.observer_id == user_id
            and o.status == Observation.Status.SUBMITTED
            and term.start <= o.date <= term.end
        }
        pairs += len(schools)
        reached += len(schools & touched)
    return {
        "observed": len(observed),
        "ledger_on_time": round(100 * len(on_time) / len(items), 1) if items else None,
        "liaison": round(100 * reached / pairs, 1) if pairs else None,
    }


@pytest.mark.usefixtures("year")
def test_computed_indicators_equal_an_independent_count(world, profile):
    scheme = _open(world)
    appraisal = Appraisal.objects.get(scheme=scheme, profile=profile)
    appraisal = _assessed(world, appraisal)
    want = independent_measures(profile)
    assert want["observed"] == 5 and want["liaison"] == 50.0  # a and b, spring only
    assert appraisal.scores["observed"]["value"] == want["observed"]
    assert appraisal.scores["ledger"]["value"] == want["ledger_on_time"]
    assert appraisal.scores["liaison"]["value"] == want["liaison"]
    # 5 of 40 lessons earn 5/40 of the 20 points; half the liaison pairs half of 15.
    assert appraisal.scores["observed"] == {"value": 5, "score": "2.5", "met": False}
    assert appraisal.scores["liaison"]["score"] == "7.5"


def test_nothing_to_measure_counts_as_met(world, profile):
    scheme = _open(world)
    appraisal = _assessed(world, Appraisal.objects.get(scheme=scheme, profile=profile))
    assert appraisal.scores["ledger"] == {"value": None, "score": "15.0", "met": True}
    assert appraisal.scores["observed"] == {"value": 0, "score": "0.0", "met": False}


# --- the workflow ----------------------------------------------------------------------------


def test_workflow_self_assessment_review_confirmation(world, profile):
    scheme = _open(world, exit_grades=["unqualified", "basic"])
    appraisal = Appraisal.objects.get(scheme=scheme, profile=profile)
    assert appraisal.org_unit == world.units["linwei_institute"]
    appraisal = _assessed(world, appraisal)
    assert appraisal.status == Appraisal.Status.SELF_ASSESSED
    appraisal = _review(world, appraisal, guidance="6", research="4")
    # Computed: 0 lessons, 15 (no liaison school) + 15 (no ledger item), 0 activities;
    # scored 10: 40 in all, below 60.
    assert appraisal.total == Decimal("40.0")
    assert appraisal.grade == Grade.UNQUALIFIED
    appraisal = services_appraisal.confirm_appraisal(
        actor=world.users["city_admin"], appraisal=appraisal
    )
    assert appraisal.status == Appraisal.Status.CONFIRMED
    assert appraisal.exit_review is True
    assert aq.latest_result(world.users["district_researcher"], profile) == appraisal


def test_only_the_researcher_assesses_themselves(world, profile):
    appraisal = Appraisal.objects.get(scheme=_open(world), profile=profile)
    with pytest.raises(PermissionDenied):
        _assessed(world, appraisal, user=world.users["city_admin"])
    with pytest.raises(PermissionDenied):
        _assessed(world, appraisal, user=world.users["outsider"])
    appraisal.refresh_from_db()
    assert appraisal.status == Appraisal.Status.PENDING and appraisal.self_summary == ""


def test_the_researcher_neither_reviews_nor_confirms(world, profile):
    appraisal = _assessed(world, Appraisal.objects.get(scheme=_open(world), profile=profile))
    her = world.users["district_researcher"]
    with pytest.raises(PermissionDenied):
        services_appraisal.review_appraisal(
            actor=her, appraisal=appraisal, scores={"guidance": 20, "research": 20}
        )
    with pytest.raises(PermissionDenied):
        services_appraisal.review_appraisal(
            actor=world.users["outsider"],
            appraisal=appraisal,
            scores={"guidance": 20, "research": 20},
        )
    appraisal = _review(world, appraisal)
    for user in (her, world.users["outsider"]):
        with pytest.raises(PermissionDenied):
            services_appraisal.confirm_appraisal(actor=user, appraisal=appraisal)
    appraisal.refresh_from_db()
    assert appraisal.status == Appraisal.Status.REVIEWED


def test_review_before_self_assessment_is_refused(world, profile):
    appraisal = Appraisal.objects.get(scheme=_open(world), profile=profile)
    with pytest.raises(ServiceError) as e:
        _review(world, appraisal)
    assert e.value.text == "教研员尚未完成自评。"
    with pytest.raises(ServiceError) as e:
        services_appraisal.confirm_appraisal(actor=world.users["city_admin"], appraisal=appraisal)
    assert e.value.text == "只有教研机构审核过的考核才能确认。"


def test_a_score_beyond_the_full_score_is_refused(world, profile):
    appraisal = _assessed(world, Appraisal.objects.get(scheme=_open(world), profile=profile))
    with pytest.raises(ServiceError) as e:
        _review(world, appraisal, guidance="25")
    assert e.value.text == "“教学指导成效”的得分必须是0到20之间的数。"
    with pytest.raises(ServiceError) as e:
        _review(world, appraisal, research="")
    assert e.value.text == "请为“教研成果与专业发展”打分。"
    appraisal.refresh_from_db()
    assert appraisal.status == Appraisal.Status.SELF_ASSESSED and appraisal.total is None


# --- the 优秀 quota --------------------------------------------------------------------------


def test_the_excellent_quota_holds(world, profile):
    scheme = _open(world, excellent_quota=1)
    other = _colleague(world, "R002", "李岚")
    services_appraisal.open_scheme(actor=world.users["city_admin"], scheme=scheme)
    mine = _assessed(world, Appraisal.objects.get(scheme=scheme, profile=profile))
    hers = _assessed(world, Appraisal.objects.get(scheme=scheme, profile=other))
    _review(world, mine, grade=Grade.EXCELLENT)
    with pytest.raises(ServiceError) as e:
        _review(world, hers, grade=Grade.EXCELLENT)
    assert e.value.text == "优秀名额已用完：本方案优秀名额1人，已评优秀1人。"
    hers.refresh_from_db()
    assert hers.status == Appraisal.Status.SELF_ASSESSED and hers.grade == ""
    # Another grade goes through; the first one's grade can be reviewed again.
    assert _review(world, hers, grade=Grade.QUALIFIED).grade == Grade.QUALIFIED
    assert _review(world, mine, grade=Grade.EXCELLENT).grade == Grade.EXCELLENT
    assert aq.excellent_used(scheme) == 1


def test_without_a_quota_excellent_is_not_limited(world, profile):
    scheme = _open(world)
    other = _colleague(world, "R002", "李岚")
    services_appraisal.open_scheme(actor=world.users["city_admin"], scheme=scheme)
    for p in (profile, other):
        a = _assessed(world, Appraisal.objects.get(scheme=scheme, profile=p))
        assert _review(world, a, grade=Grade.EXCELLENT).grade == Grade.EXCELLENT


# --- schemes ---------------------------------------------------------------------------------


def test_scheme_rules_in_chinese(world):
    _scheme(world)
    with pytest.raises(ServiceError) as e:
        _scheme(world)
    assert e.value.text == "渭南市教育局已有2025年度的考核方案。"
    with pytest.raises(ServiceError) as e:
        _scheme(world, 2026, excellent_min=70, qualified_min=75)
    assert e.value.text == "各等次最低分须依次降低：优秀高于合格，合格高于基本合格。"
    with pytest.raises(ServiceError) as e:
        services_appraisal.create_scheme(
            actor=world.users["city_admin"],
            org_unit=world.schools["school_a"].org_unit,
            year=2026,
        )
    assert e.value.text == "标准或考核方案由教育局或教研机构制定。"
    with pytest.raises(PermissionDenied):
        services_appraisal.create_scheme(
            actor=world.users["outsider"], org_unit=world.units["city_bureau"], year=2027
        )
    assert AppraisalScheme.objects.count() == 1


def test_indicators_must_add_up_to_100(world, profile):
    scheme = _scheme(world)
    services_appraisal.save_indicator(
        actor=world.users["city_admin"],
        scheme=scheme,
        name="驻校蹲点天数",
        kind="computed",
        measure="residency_days",
        target="20",
        max_score="10",
    )
    with pytest.raises(ServiceError) as e:
        services_appraisal.open_scheme(actor=world.users["city_admin"], scheme=scheme)
    assert e.value.text == "各指标满分合计为110，不是100。"
    assert not Appraisal.objects.exists()
    with pytest.raises(ServiceError) as e:
        services_appraisal.save_indicator(
            actor=world.users["city_admin"], scheme=scheme, name="x", kind="computed", max_score=5
        )
    assert e.value.text == "计算类指标须指明从工作纪实中读取的项目。"


# --- the self-review -------------------------------------------------------------------------


def _ratings(standard: ReviewStandard, level=3) -> dict:
    return {s["code"]: level for _d, s in standard.statements()}


def test_the_built_in_standard_is_seeded(world, profile):
    standard = aq.standard_for(profile)
    assert standard.org_unit is None
    assert [d["name"] for d in standard.dimensions] == [
        "课程理解",
        "教学指导",
        "研究能力",
        "专业发展",
    ]


@pytest.mark.usefixtures("year")
def test_self_review_with_evidence_from_the_work_record(world, profile, client_for):
    her = world.users["district_researcher"]
    standard = aq.standard_for(profile)
    obs = Observation.objects.filter(observer=her, status="submitted", date__year=2025).first()
    review = services_appraisal.save_self_review(
        actor=her,
        profile=profile,
        year=2025,
        ratings=_ratings(standard),
        evidence={"guidance": [f"observation:{obs.pk}"]},
        reflection="下一年加强课题研究",
        submit=True,
    )
    assert review.status == SelfReview.Status.SUBMITTED
    assert review.evidence == {"guidance": [f"observation:{obs.pk}"]}
    # Her review's page links the cited observation; someone who cannot see it is told
    # only what kind of record it is.
    page = client_for(her).get(f"/researchers/appraisal/self-reviews/{review.pk}/")
    html = page.content.decode()
    assert f'href="{obs.get_absolute_url()}" data-testid="evidence-link">听评课记录｜' in html
    (hidden,) = aq.evidence_links(world.users["outsider"], [f"observation:{obs.pk}"]).values()
    assert (hidden.label, hidden.url) == ("听评课记录（无权查看）", None)
    with pytest.raises(ServiceError) as e:
        services_appraisal.save_self_review(
            actor=her, profile=profile, year=2025, ratings=_ratings(standard, 4)
        )
    assert e.value.text == "这份自评已提交，保持提交时的内容。"


@pytest.mark.usefixtures("year")
def test_evidence_outside_her_record_is_refused(world, profile):
    her = world.users["district_researcher"]
    standard = aq.standard_for(profile)
    not_hers = (
        Observation.objects.exclude(observer=her).first()
        or Observation.objects.filter(date__year=2024).first()
    )
    with pytest.raises(ServiceError) as e:
        services_appraisal.save_self_review(
            actor=her,
            profile=profile,
            year=2025,
            ratings=_ratings(standard),
            evidence={"guidance": [f"observation:{not_hers.pk}"]},
        )
    assert e.value.text == f"“observation:{not_hers.pk}”不在你2025年的工作纪实中。"
    assert not SelfReview.objects.exists()


def test_submitting_needs_every_statement_rated_and_only_she_writes(world, profile):
    her = world.users["district_researcher"]
    standard = aq.standard_for(profile)
    partial = dict(list(_ratings(standard).items())[:5])
    with pytest.raises(ServiceError) as e:
        services_appraisal.save_self_review(
            actor=her, profile=profile, year=2025, ratings=partial, submit=True
        )
    assert e.value.text == "提交前请对每条标准作出评价（已评5条，共12条）。"
    with pytest.raises(ServiceError) as e:
        services_appraisal.save_self_review(
            actor=her, profile=profile, year=2025, ratings={"curriculum1": 7}
        )
    assert e.value.text == "每条标准按1至4级评价。"
    with pytest.raises(PermissionDenied):
        services_appraisal.save_self_review(
            actor=world.users["city_admin"], profile=profile, year=2025, ratings=partial
        )
    assert not SelfReview.objects.exists()


def test_distribution_and_development(world, profile):
    her = world.users["district_researcher"]
    standard = aq.standard_for(profile)
    for y, level in ((2023, 2), (2024, 3)):
        services_appraisal.save_self_review(
            actor=her, profile=profile, year=y, ratings=_ratings(standard, level), submit=True
        )
    dist = aq.self_review_distribution(world.users["city_admin"], 2024)
    assert dist.reviews == 1
    assert dist.counts[3] == [3, 3, 3, 3] and dist.counts[2] == [0, 0, 0, 0]
    years, series = aq.development(world.users["city_admin"], profile)
    assert years == [2023, 2024]
    assert series["课程理解"] == [2.0, 3.0]
    # 华州区 sees none of it.
    assert aq.self_review_distribution(world.users["outsider"], 2024).reviews == 0


def test_a_bureau_standard_replaces_the_built_in(world, profile):
    standard = services_appraisal.create_standard(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        name="渭南市教研员专业标准",
        dimensions="课程理解：读懂课标\n课程理解：读懂教材\n教学指导：听评课有诊断",
    )
    assert aq.standard_for(profile) == standard
    assert [len(d["statements"]) for d in standard.dimensions] == [2, 1]
    with pytest.raises(ServiceError) as e:
        services_appraisal.create_standard(
            actor=world.users["city_admin"],
            org_unit=world.units["city_bureau"],
            name="坏标准",
            dimensions="没有冒号的一行",
        )
    assert e.value.text == "第1行：请写维度、冒号，再写标准条目。"


# --- the metric registry ---------------------------------------------------------------------


def _confirmed(world, profile, scheme, guidance: str) -> Appraisal:
    a = _assessed(world, Appraisal.objects.get(scheme=scheme, profile=profile))
    a = _review(world, a, guidance=guidance, research="20")
    return services_appraisal.confirm_appraisal(actor=world.users["city_admin"], appraisal=a)


def test_grade_shares_are_hidden_for_a_small_group(world, profile):
    from jiaoyan.core import metrics

    period = metrics.Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    keys = ["researchers.appraisal_excellent", "researchers.appraisal_confirmed"]
    scheme = _open(world)
    _confirmed(world, profile, scheme, "20")  # 70: 基本合格
    excellent, confirmed = metrics.compute_many(keys, world.units["linwei"], period)
    assert excellent.suppressed and excellent.value is None  # one person's grade
    assert confirmed.value == 100.0
    colleagues = [_colleague(world, f"R1{n:02d}", f"教研员{n}") for n in range(9)]
    services_appraisal.open_scheme(actor=world.users["city_admin"], scheme=scheme)
    for p in colleagues[:3]:
        _confirmed(world, p, scheme, "20")
    excellent, confirmed = metrics.compute_many(keys, world.units["linwei"], period)
    assert excellent.suppressed and confirmed.value == 40.0  # 4 of 10
    for p in colleagues[3:]:
        _confirmed(world, p, scheme, "20")
    excellent, confirmed = metrics.compute_many(keys, world.units["linwei"], period)
    # Ten confirmed, none 优秀 (70 each): shown.
    assert not excellent.suppressed and excellent.value == 0.0
    assert confirmed.value == 100.0
