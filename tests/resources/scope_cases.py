"""Scope cases of the resource library: a published (internal) resource of 华州区第一小学
with its file, review, steps, and 华州区's own review rubric, invisible to 临渭区."""

from __future__ import annotations

from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.resources import services
from jiaoyan.resources.models import (
    Application,
    Comment,
    Favourite,
    Rating,
    Recommendation,
    RecommendationRound,
    Resource,
    ResourceDayStat,
    ResourceEvent,
    ResourceFile,
    ResourceHit,
    ResourceMonthStat,
    ResourceTermStats,
    Review,
    ReviewRubric,
)
from tests.conftest import make_person
from tests.resources.conftest import PDF, criteria_scores, upload
from tests.scope_cases import ScopeCase, register

TITLE = "华州区小学数学微课：认识分数"


def _author(w):
    from jiaoyan.people.models import Person

    found = Person.objects.filter(staff_no="H301").first()
    return found or make_person(
        "H301", "华州作者", w.schools["school_c"].org_unit, role="teacher", username="hz_author"
    )


def _reviewer(w):
    from jiaoyan.people.models import Person

    found = Person.objects.filter(staff_no="H302").first()
    person = found or make_person(
        "H302", "华州评审", w.units["huazhou_bureau"], role="researcher", username="hz_reviewer"
    )
    w.users["hz_reviewer"] = person.user  # the review's own viewer (positive control)
    return person


def submitted_resource(w) -> Resource:
    """A submitted resource of 华州区第一小学, waiting for reviewers (the outsider manages it)."""
    author = _author(w)
    r = services.create_resource(
        actor=author.user,
        org_unit=w.schools["school_c"].org_unit,
        kind="slides",
        title="华州区小学语文课件",
        stage=Stage.objects.get(code="primary"),
        subject=Subject.objects.get(name="语文"),
    )
    services.attach_file(actor=author.user, resource=r, file=upload("课件.pdf", PDF))
    return services.submit_resource(actor=author.user, resource=r)


def huazhou_resource(w) -> Resource:
    found = Resource.objects.filter(title=TITLE).first()
    if found is not None:
        return found
    author = _author(w)
    r = services.create_resource(
        actor=author.user,
        org_unit=w.schools["school_c"].org_unit,
        kind="micro_lesson",
        title=TITLE,
        stage=Stage.objects.get(code="primary"),
        subject=Subject.objects.get(name="数学"),
        video_link="https://video.example.cn/fen-shu.mp4",
    )
    services.attach_file(actor=author.user, resource=r, file=upload("华州区分数.pdf", PDF))
    services.submit_resource(actor=author.user, resource=r)
    review = services.assign_reviewer(actor=w.users["outsider"], resource=r, reviewer=_reviewer(w))
    services.record_review(
        actor=review.reviewer.user,
        review=review,
        scores=criteria_scores(review),
        comment="华州区评审意见",
        recommendation="publish",
    )
    services.decide(actor=w.users["outsider"], resource=r, decision="publish")
    return Resource.objects.get(pk=r.pk)


def _rubric(w) -> ReviewRubric:
    found = ReviewRubric.objects.filter(name="华州区资源评审量规").first()
    return found or services.create_rubric(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        name="华州区资源评审量规",
        criteria=[{"name": "科学性", "max": 50}, {"name": "应用性", "max": 50}],
    )


register(
    ScopeCase(
        Resource,
        huazhou_resource,
        page=lambda r: f"/resources/{r.pk}/",
        list_page="/resources/",
        api=lambda r: f"/api/v1/resources/{r.pk}",
        api_list="/api/v1/resources",
        marker=lambda r: r.title,
    )
)
register(
    ScopeCase(
        ResourceFile,
        lambda w: huazhou_resource(w).files.first(),
        page=lambda f: f"/resources/files/{f.pk}/",
        api=lambda f: f"/api/v1/resource-files/{f.pk}",
        marker=lambda f: f.name,
    )
)
register(
    ScopeCase(
        Review,
        lambda w: huazhou_resource(w).reviews.first(),
        page=lambda v: f"/resources/reviews/{v.pk}/",
        list_page="/resources/reviews/?status=",
        api=lambda v: f"/api/v1/reviews/{v.pk}",
        api_list="/api/v1/reviews",
        marker=lambda v: v.resource.title,
        viewer="hz_reviewer",
    )
)
register(
    ScopeCase(
        ResourceEvent,
        lambda w: huazhou_resource(w).events.order_by("pk").last(),
        marker=lambda e: e.comment,
        actions=("change",),
    )
)
register(
    ScopeCase(
        ReviewRubric,
        _rubric,
        page=lambda r: f"/resources/rubrics/{r.pk}/edit/",
        list_page="/resources/rubrics/",
        api=lambda r: f"/api/v1/review-rubrics/{r.pk}",
        api_list="/api/v1/review-rubrics",
        marker=lambda r: r.name,
    )
)


# --- recommendation rounds ------------------------------------------------------------------


def _round_dates() -> dict:
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return {"opens_on": today - dt.timedelta(days=1), "closes_on": today + dt.timedelta(days=30)}


def huazhou_round(w):
    """A round run by 华州区教育局 for its own schools (invisible to 临渭区)."""
    from jiaoyan.resources import rounds
    from jiaoyan.resources.models import RecommendationRound

    found = RecommendationRound.objects.filter(title="华州区2026优课评选").first()
    return found or rounds.create_round(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        title="华州区2026优课评选",
        kinds=["micro_lesson", "lesson_design"],
        **_round_dates(),
    )


def _hz_principal(w):
    from jiaoyan.people.models import Person

    found = Person.objects.filter(staff_no="H303").first()
    return found or make_person(
        "H303",
        "华州校长",
        w.schools["school_c"].org_unit,
        role="principal",
        username="hz_principal",
    )


def huazhou_selection(w):
    """华州区's selection to the city in the city's round: 华州区第一小学 recommended its
    micro-lesson to 华州区, which selected it to 渭南市 (seen by 华州区 and the city, never
    by 临渭区)."""
    from jiaoyan.resources import rounds
    from jiaoyan.resources.models import Recommendation, RecommendationRound

    found = Recommendation.objects.filter(
        round__title="渭南市2026优课", level="county", org_unit=w.units["huazhou"]
    ).first()
    if found is not None:
        return found
    r = RecommendationRound.objects.filter(title="渭南市2026优课").first() or rounds.create_round(
        actor=w.users["city_admin"],
        org_unit=w.units["city_bureau"],
        title="渭南市2026优课",
        kinds=["micro_lesson", "lesson_design"],
        **_round_dates(),
    )
    resource = huazhou_resource(w)
    rounds.recommend(actor=_hz_principal(w).user, round=r, resource=resource)
    return rounds.recommend(actor=w.users["outsider"], round=r, resource=resource)


register(
    ScopeCase(
        RecommendationRound,
        huazhou_round,
        page=lambda r: f"/resources/rounds/{r.pk}/",
        list_page="/resources/rounds/",
        api=lambda r: f"/api/v1/recommendation-rounds/{r.pk}",
        api_list="/api/v1/recommendation-rounds",
        marker=lambda r: r.title,
    )
)
register(
    ScopeCase(
        Recommendation,
        huazhou_selection,
        api=lambda e: f"/api/v1/recommendations/{e.pk}",
        api_list="/api/v1/recommendations",
        marker=lambda e: e.resource.title,
    )
)


# --- using the library (resources/use.py): rows of 华州区's published resource -------------


def _favourite(w):
    from jiaoyan.resources import use

    return use.add_favourite(actor=w.users["outsider"], resource=huazhou_resource(w))


def _rating(w):
    from jiaoyan.resources import use

    return use.rate(actor=w.users["outsider"], resource=huazhou_resource(w), score=4)


def _comment(w):
    from jiaoyan.resources import use
    from jiaoyan.resources.models import Comment

    r = huazhou_resource(w)
    found = Comment.objects.filter(resource=r, text="华州区的评论：很实用").first()
    return found or use.add_comment(
        actor=w.users["outsider"], resource=r, text="华州区的评论：很实用"
    )


def _application(w):
    from jiaoyan.resources import use
    from jiaoyan.resources.models import Application

    r = huazhou_resource(w)
    found = Application.objects.filter(resource=r).first()
    return found or use.record_use(actor=w.users["outsider"], resource=r, note="华州区课堂上用过")


def _hit(w):
    from jiaoyan.resources import use
    from jiaoyan.resources.models import ResourceHit

    r = huazhou_resource(w)
    use.count_hit(w.users["outsider"], r)
    return ResourceHit.objects.get(resource=r, user=w.users["outsider"], kind="view")


def _term_stats(w):
    from jiaoyan.resources.models import ResourceTermStats

    r = _application(w).resource
    return ResourceTermStats.objects.get(resource=r)


register(
    ScopeCase(
        Favourite,
        _favourite,
        list_page="/resources/favourites/",
        api_list="/api/v1/resource-favourites",
        marker=lambda f: f.resource.title,
        personal=True,
    )
)
register(ScopeCase(Rating, _rating, marker=lambda r: r.resource.title, personal=True))
register(
    ScopeCase(
        Comment,
        _comment,
        page=lambda c: f"/resources/{c.resource_id}/",
        marker=lambda c: c.text,
    )
)
register(
    ScopeCase(
        Application,
        _application,
        page=lambda a: f"/resources/{a.resource_id}/",
        marker=lambda a: a.note,
    )
)
register(ScopeCase(ResourceHit, _hit, marker=lambda h: str(h.resource_id)))
register(ScopeCase(ResourceTermStats, _term_stats, marker=lambda s: str(s.resource_id)))


def _day_stat(w):
    from jiaoyan.resources.models import ResourceDayStat

    r = huazhou_resource(w)  # submitted and published through the services: its day rows
    return ResourceDayStat.objects.filter(org_unit=r.org_unit).order_by("id").first()


register(ScopeCase(ResourceDayStat, _day_stat, marker=lambda s: str(s)))


def _month_stat(w):
    from jiaoyan.resources.models import ResourceMonthStat

    r = huazhou_resource(w)  # its month rows: its school's, 华州区's, the city's …
    return ResourceMonthStat.objects.filter(org_unit=r.org_unit).order_by("id").first()


register(ScopeCase(ResourceMonthStat, _month_stat, marker=lambda s: str(s)))
