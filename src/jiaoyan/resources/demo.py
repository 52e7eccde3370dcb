"""Demo resources (资源库): a curriculum tree for the main subjects, and resources of the
schools' teachers at every step of their review — drafts, submitted, in review, returned
with comments, resubmitted and published, rejected — with their reviews against the
built-in rubric and the steps the submitter reads. The demo teacher has a published
design, a returned slide deck and a draft; the demo district researcher has reviews to
do. Modest for now (small: 80, city: 400); the library's 100,000 come with search.
Deterministic from ``ctx.rng``; written in bulk."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from jiaoyan.core import bulk, search
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.people.models import RoleAssignment

from .models import (
    CurriculumNode,
    Kind,
    Resource,
    ResourceEvent,
    ResourceFile,
    Review,
    ReviewRubric,
    Status,
)

COUNT = {"small": 80, "city": 400, "province": 400}
# subject, edition, stage, {grade: [chapter, …]}
CURRICULUM = [
    (
        "数学",
        "人教版",
        "junior",
        {
            7: ["有理数", "整式的加减", "一元一次方程", "几何图形初步"],
            8: ["三角形", "全等三角形", "轴对称", "勾股定理", "一次函数"],
            9: ["一元二次方程", "二次函数", "旋转", "圆", "概率初步"],
        },
    ),
    (
        "数学",
        "人教版",
        "primary",
        {
            3: ["时、分、秒", "万以内的加法和减法", "分数的初步认识"],
            5: ["小数乘法", "简易方程", "多边形的面积"],
        },
    ),
    (
        "语文",
        "统编版",
        "primary",
        {4: ["观察与发现", "神话故事", "提问策略"], 6: ["小说单元", "鲁迅单元", "文言文二则"]},
    ),
    ("英语", "人教版", "junior", {7: ["Unit 1 My name's Gina", "Unit 3 Is this your pencil?"]}),
    ("物理", "人教版", "junior", {8: ["机械运动", "声现象", "光现象", "压强", "浮力"]}),
]
FORMS = {
    Kind.MICRO_LESSON: "{ch}微课",
    Kind.LESSON_DESIGN: "《{ch}》教学设计",
    Kind.SLIDES: "{ch}课件",
    Kind.TEACHING_CASE: "{ch}教学案例",
    Kind.LESSON_RECORDING: "{ch}课堂实录",
    Kind.EXERCISE_DESIGN: "{ch}分层作业设计",
}
THEMES = ["新课标", "双减", "大单元", "跨学科", "情境教学", "作业设计"]
STATUSES = [
    (Status.PUBLISHED, 0.55),
    (Status.IN_REVIEW, 0.1),
    (Status.SUBMITTED, 0.08),
    (Status.RETURNED, 0.1),
    (Status.REJECTED, 0.05),
    (Status.DRAFT, 0.12),
]
COMMENTS = {
    "publish": ["设计完整，环节清晰，建议推广。", "情境真实，学生活动充分。"],
    "return": ["重难点突破不够，请补充变式练习。", "视频画面偏暗，请重新录制片头。"],
    "reject": ["内容与课程标准不符。", "素材来源不明，存在版权风险。"],
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pick(rng: random.Random, items):
    total = sum(w for _v, w in items)
    r = rng.random() * total
    for v, w in items:
        r -= w
        if r <= 0:
            return v
    return items[-1][0]


def _curriculum() -> dict[tuple[int, str], list[CurriculumNode]]:
    """The tree (subject › edition › grade volume › chapter); chapters by (subject, stage)."""
    subjects = {s.name: s for s in Subject.objects.all()}
    chapters: dict[tuple[int, str], list[CurriculumNode]] = defaultdict(list)
    for name, edition, stage, grades in CURRICULUM:
        subject = subjects.get(name)
        if subject is None:
            continue
        for grade, names in grades.items():
            volume, _ = CurriculumNode.objects.get_or_create(
                subject=subject,
                edition=edition,
                parent=None,
                name=f"{grade}年级",
                defaults={"order": grade, "grade": grade},
            )
            for n, chapter in enumerate(names, 1):
                node = CurriculumNode.objects.create(
                    subject=subject,
                    edition=edition,
                    parent=volume,
                    name=chapter,
                    order=n,
                    grade=grade,
                )
                chapters[(subject.pk, stage)].append(node)
    return chapters


@step(52)
def build_resources(ctx: DemoContext) -> None:
    rng = ctx.rng
    chapters = _curriculum()
    stages = {s.code: s for s in Stage.objects.all()}
    rubric = ReviewRubric.objects.filter(org_unit__isnull=True).order_by("id").first()
    if rubric is None or not chapters:
        ctx.log("resources: no rubric or subjects; skipped")
        return
    accounts = ctx.data.get("accounts", {})
    # Teachers by subject and stage (with their school), researchers by county.
    teachers: dict[tuple[int, str], list[tuple[int, int, str]]] = defaultdict(list)
    researchers: dict[str, list[int]] = defaultdict(list)
    rows = (
        RoleAssignment.objects.filter(role__in=[Role.TEACHER, Role.RESEARCHER], is_active=True)
        .values_list(
            "role", "person_id", "person__org_unit_id", "org_unit__path", "subjects", "stages__code"
        )
        .order_by("person_id", "id", "subjects", "stages__code")
    )
    for role, person, unit, path, subject, stage in rows.iterator():
        if role == Role.TEACHER and subject and stage:
            teachers[(subject, stage)].append((person, unit, path))
        elif role == Role.RESEARCHER:
            county = "/".join(path.strip("/").split("/")[:3])
            researchers[county].append(person)
    keys = [k for k in chapters if teachers.get(k)]
    if not keys:
        ctx.log("resources: no teachers of the curriculum's subjects; skipped")
        return
    n = COUNT.get(ctx.scale.name, 80)
    now = ctx.now
    demo_teacher = accounts.get("teacher")
    demo_researcher = accounts.get("district_researcher")
    plan = []  # (resource, authors, status, reviewer)
    for i in range(n):
        key = rng.choice(keys)
        person, unit, path = rng.choice(teachers[key])
        status = _pick(rng, STATUSES)
        if demo_teacher is not None and i < 3:
            # The demo teacher's own: published, returned, draft.
            person, unit = demo_teacher.pk, demo_teacher.org_unit_id
            path = demo_teacher.org_unit.path
            status = [Status.PUBLISHED, Status.RETURNED, Status.DRAFT][i]
        node = rng.choice(chapters[key])
        kind = rng.choice(list(FORMS))
        created = now - dt.timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 600))
        r = Resource(
            org_unit_id=unit,
            kind=kind,
            title=FORMS[kind].format(ch=node.name),
            summary=f"{node.edition}{node.grade}年级 · {node.name}。围绕核心素养设计学习任务，"
            f"配套课件与分层练习。",
            stage=stages[key[1]],
            subject_id=key[0],
            grade=node.grade,
            edition=node.edition,
            curriculum_node=node,
            themes=rng.sample(THEMES, rng.randint(1, 3)),
            status=status,
            visibility="public" if rng.random() < 0.2 else "internal",
            video_link=(
                f"https://video.example.cn/demo/{i + 1}.mp4" if kind == Kind.MICRO_LESSON else ""
            ),
            rubric=None if status == Status.DRAFT else rubric,
            round=0 if status == Status.DRAFT else (2 if rng.random() < 0.15 else 1),
            created_at=created,
            updated_at=created,
            submitted_at=None if status == Status.DRAFT else created + dt.timedelta(days=2),
            published_at=created + dt.timedelta(days=12) if status == Status.PUBLISHED else None,
        )
        county = "/".join(path.strip("/").split("/")[:3])
        pool = [p for p in researchers.get(county, []) if p != person] or [
            p for ps in researchers.values() for p in ps if p != person
        ]
        reviewer = rng.choice(pool) if pool else None
        if demo_researcher is not None and status == Status.IN_REVIEW and rng.random() < 0.5:
            reviewer = demo_researcher.pk
        plan.append((r, person, reviewer))
    bulk.bulk_create(Resource, [r for r, _p, _rv in plan])
    Through = Resource.authors.through
    bulk.bulk_create(Through, [Through(resource_id=r.pk, person_id=p) for r, p, _rv in plan])

    reviews, events, files = [], [], []
    for r, _person, reviewer in plan:
        t = r.created_at
        events.append(ResourceEvent(resource=r, step="created", status="draft", created_at=t))
        if r.status == Status.DRAFT:
            continue
        for rnd in range(1, r.round + 1):
            last = rnd == r.round
            t += dt.timedelta(days=2)
            step_name = "submitted" if rnd == 1 else "resubmitted"
            events.append(
                ResourceEvent(resource=r, step=step_name, status="submitted", created_at=t)
            )
            if reviewer is None or (last and r.status == Status.SUBMITTED):
                continue
            t += dt.timedelta(days=1)
            events.append(
                ResourceEvent(resource=r, step="assigned", status="in_review", created_at=t)
            )
            done = not (last and r.status == Status.IN_REVIEW)
            outcome = (
                {
                    Status.PUBLISHED: "publish",
                    Status.RETURNED: "return",
                    Status.REJECTED: "reject",
                }.get(r.status, "publish")
                if last
                else "return"
            )
            scores = {
                c["name"]: float(round(c["max"] * rng.uniform(0.55, 0.98))) for c in rubric.criteria
            }
            reviews.append(
                Review(
                    resource=r,
                    round=rnd,
                    reviewer_id=reviewer,
                    criteria=rubric.criteria,
                    scores=scores if done else {},
                    total=sum(scores.values()) if done else None,
                    comment=rng.choice(COMMENTS[outcome]) if done else "",
                    recommendation=outcome if done else "",
                    status="done" if done else "assigned",
                    assigned_at=t,
                    reviewed_at=t + dt.timedelta(days=3) if done else None,
                )
            )
            if not done:
                continue
            t += dt.timedelta(days=3)
            events.append(
                ResourceEvent(resource=r, step="reviewed", status="in_review", created_at=t)
            )
            t += dt.timedelta(days=1)
            final = {"publish": "published", "return": "returned", "reject": "rejected"}[outcome]
            comment = "" if outcome == "publish" else rng.choice(COMMENTS[outcome])
            events.append(
                ResourceEvent(resource=r, step=final, status=final, created_at=t, comment=comment)
            )
        if r.kind != Kind.MICRO_LESSON:
            name = f"{r.title[:60]}.pdf"
            stored = default_storage.save(f"resources/demo/{r.pk}.pdf", ContentFile(PDF))
            files.append(
                ResourceFile(
                    resource=r,
                    file=stored,
                    name=name,
                    size=len(PDF),
                    category="document",
                    content_type="application/pdf",
                    created_at=r.created_at,
                )
            )
    bulk.bulk_create(Review, reviews)
    bulk.bulk_create(ResourceEvent, events)
    bulk.bulk_create(ResourceFile, files)
    search.index_many(Resource.objects.filter(pk__in=[r.pk for r, _p, _rv in plan]))
    ctx.log(f"resources: {len(plan)} resources, {len(reviews)} reviews, {len(files)} files")


# --- use: favourites, ratings, comments, applications, views and downloads ----------------

#: Views of the published resources in all (city: about 2,000,000, as the issue asks),
#: written as aggregated counts (what the hits job leaves), plus a few pending hits of today.
VIEWS = {"small": 20_000, "city": 2_000_000, "province": 2_000_000}
USE_COMMENTS = [
    "设计思路清晰，学生活动安排得很好，借鉴了。",
    "课件很实用，分层练习正好用于我们班。",
    "微课时长合适，重难点讲得透。",
    "建议补充一份学生学习单。",
    "情境导入很有启发，谢谢分享！",
    "作业设计体现了双减要求，题量适中。",
]
USE_NOTES = ["七年级（2）班新授课使用", "复习课上作为导入", "教研组集体备课时参考", "", ""]
PENDING_HITS = {"small": 300, "city": 5_000, "province": 5_000}


@step(54)
def build_resource_use(ctx: DemoContext) -> None:
    """Favourites, ratings, comments and applications of the published resources by
    teachers of their county, their view and download counts (in all and per term), and
    a few of today's hits still pending for the aggregation job."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jiaoyan.observations.terms import term_of

    from .models import (
        Application,
        Comment,
        Favourite,
        HitKind,
        Rating,
        ResourceHit,
        ResourceTermStats,
    )

    rng = ctx.rng
    published = list(
        Resource.objects.filter(status=Status.PUBLISHED)
        .select_related("org_unit")
        .order_by("id")
        .only("id", "org_unit__path", "created_by_id", "published_at")
    )
    if not published:
        ctx.log("resources: nothing published; no use figures")
        return
    authors: dict[int, set[int]] = defaultdict(set)
    Through = Resource.authors.through
    for rid, uid in Through.objects.filter(person__user__isnull=False).values_list(
        "resource_id", "person__user_id"
    ):
        authors[rid].add(uid)
    # Readers: teachers and researchers with accounts, by county.
    readers: dict[str, list[tuple[int, str]]] = defaultdict(list)
    names = dict(get_user_model().objects.values_list("pk", "person__name"))
    seen: set[int] = set()
    for uid, path in (
        RoleAssignment.objects.filter(
            role__in=[Role.TEACHER, Role.RESEARCHER], is_active=True, person__user__isnull=False
        )
        .values_list("person__user_id", "org_unit__path")
        .order_by("person__user_id", "id")
    ):
        if uid in seen:
            continue  # one county per reader (their first seat), each reader once
        seen.add(uid)
        county = "/".join(path.strip("/").split("/")[:3])
        readers[county].append((uid, names.get(uid) or ""))
    everyone = [r for rs in readers.values() for r in rs]
    if not everyone:
        ctx.log("resources: no readers with accounts; no use figures")
        return
    today = timezone.localdate()
    this_term = term_of(today)
    last_term = this_term.previous()
    weights = [rng.paretovariate(1.4) for _ in published]
    scale = VIEWS.get(ctx.scale.name, 20_000) / sum(weights)
    favourites, ratings, comments, applications, stats, hits = [], [], [], [], [], []
    for r, weight in zip(published, weights, strict=True):
        county = "/".join(r.org_unit.path.strip("/").split("/")[:3])
        pool = [u for u in readers.get(county, everyone) if u[0] not in authors[r.pk]]
        pool = pool or [u for u in everyone if u[0] not in authors[r.pk]]
        if not pool:
            continue
        views = max(1, int(weight * scale))
        downloads = int(views * rng.uniform(0.05, 0.2))
        share = rng.uniform(0.3, 0.7)  # of this term
        picks = rng.sample(pool, min(len(pool), 12))
        for uid, _name in picks[: rng.randint(0, 4)]:
            favourites.append(Favourite(resource_id=r.pk, user_id=uid, created_at=ctx.now))
        scores = []
        for uid, _name in picks[4 : 4 + rng.randint(0, 6)]:
            score = rng.choices([2, 3, 4, 5], weights=[1, 3, 6, 5])[0]
            scores.append(score)
            ratings.append(
                Rating(
                    resource_id=r.pk,
                    user_id=uid,
                    score=score,
                    created_at=ctx.now,
                    updated_at=ctx.now,
                )
            )
        for uid, name in picks[: rng.randint(0, 3)]:
            comments.append(
                Comment(
                    resource_id=r.pk,
                    user_id=uid,
                    user_name=name[:50],
                    text=rng.choice(USE_COMMENTS),
                    created_at=ctx.now - dt.timedelta(days=rng.randint(0, 60)),
                )
            )
        uses = {this_term.start: 0, last_term.start: 0}
        for uid, name in picks[6 : 6 + rng.randint(0, 5)]:
            day = today - dt.timedelta(days=rng.randint(0, 200))
            term = term_of(day).start
            if term not in uses:
                continue
            uses[term] += 1
            applications.append(
                Application(
                    resource_id=r.pk,
                    user_id=uid,
                    user_name=name[:50],
                    day=day,
                    note=rng.choice(USE_NOTES),
                )
            )
        for term, part in ((this_term.start, share), (last_term.start, 1 - share)):
            stats.append(
                ResourceTermStats(
                    resource_id=r.pk,
                    term=term,
                    views=int(views * part),
                    downloads=int(downloads * part),
                    uses=uses[term],
                )
            )
        r.view_count = int(views * share) + int(views * (1 - share))
        r.download_count = int(downloads * share) + int(downloads * (1 - share))
        r.use_count = sum(uses.values())
        r.rating_count, r.rating_sum = len(scores), sum(scores)
    limit = PENDING_HITS.get(ctx.scale.name, 300)
    for r in rng.sample(published, min(len(published), max(1, limit // 5))):
        for uid, _name in rng.sample(everyone, min(len(everyone), 5)):
            hits.append(ResourceHit(resource_id=r.pk, kind=HitKind.VIEW, day=today, user_id=uid))
    bulk.bulk_update(
        Resource,
        published,
        ["view_count", "download_count", "use_count", "rating_count", "rating_sum"],
    )
    for model, rows in (
        (Favourite, favourites),
        (Rating, ratings),
        (Comment, comments),
        (Application, applications),
        (ResourceTermStats, stats),
        (ResourceHit, hits),
    ):
        bulk.bulk_insert(model, rows)
    ctx.log(
        f"resources: {sum(r.view_count for r in published)} views counted, "
        f"{len(favourites)} favourites, {len(ratings)} ratings, {len(comments)} comments, "
        f"{len(applications)} uses in lessons, {len(hits)} hits pending"
    )


@step(53)
def build_recommendation_round(ctx: DemoContext) -> None:
    """One recommendation round of the demo city's bureau (2026 优课), open: schools have
    recommended some of their published resources to their counties, counties have
    selected some to the city, the city has kept its first few."""
    from jiaoyan.core.paths import path_ids
    from jiaoyan.orgs.models import OrgUnit

    from .models import Recommendation, RecommendationRound

    rng = ctx.rng
    bureau = OrgUnit.objects.filter(level="city", kind="bureau").order_by("path").first()
    if bureau is None or bureau.parent is None:
        ctx.log("resources: no city bureau; no recommendation round")
        return
    city = bureau.parent
    today = ctx.now.date()
    r = RecommendationRound.objects.create(
        org_unit=bureau,
        title=f"{today.year} 优课评选",
        description="各校推荐优秀教学设计、微课与课件，区县遴选后报送市级评选。",
        kinds=[Kind.MICRO_LESSON, Kind.LESSON_DESIGN, Kind.SLIDES],
        opens_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=20),
        school_quota=2,
        county_quota=5,
        city_quota=10,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    counties = dict(
        OrgUnit.objects.filter(path__under=city.path, level="county", kind="region").values_list(
            "pk", "path"
        )
    )
    rows = (
        Resource.objects.filter(
            org_unit__path__under=city.path, status=Status.PUBLISHED, kind__in=r.kinds
        )
        .order_by("id")
        .values_list("pk", "org_unit_id", "org_unit__path")
    )
    by_school: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, unit, path in rows:
        by_school[unit].append((pk, path))
    at = ctx.now - dt.timedelta(days=5)
    school_entries, by_county = [], defaultdict(list)
    for school, items in sorted(by_school.items()):
        if rng.random() < 0.3:
            continue  # a school that has not recommended yet (its candidates wait)
        for pk, path in rng.sample(items, min(len(items), rng.randint(1, 2))):
            county = next((u for u in path_ids(path) if u in counties), None)
            e = Recommendation(
                round=r,
                resource_id=pk,
                level="school",
                org_unit_id=school,
                to_unit_id=county or city.pk,
                recommended_at=at,
            )
            school_entries.append(e)
            if county:
                by_county[county].append(e)
    bulk.bulk_create(Recommendation, school_entries)
    county_entries = []
    for county, entries in sorted(by_county.items()):
        for e in rng.sample(entries, min(len(entries), rng.randint(1, 3))):
            county_entries.append(
                Recommendation(
                    round=r,
                    resource_id=e.resource_id,
                    level="county",
                    org_unit_id=county,
                    to_unit_id=city.pk,
                    source=e,
                    recommended_at=at + dt.timedelta(days=2),
                )
            )
    bulk.bulk_create(Recommendation, county_entries)
    city_entries = [
        Recommendation(
            round=r,
            resource_id=e.resource_id,
            level="city",
            org_unit_id=city.pk,
            to_unit=None,
            source=e,
            recommended_at=at + dt.timedelta(days=4),
        )
        for e in county_entries[:3]
    ]
    bulk.bulk_create(Recommendation, city_entries)
    ctx.log(
        f"resources: round “{r.title}”: {len(school_entries)} school, "
        f"{len(county_entries)} county, {len(city_entries)} city recommendations"
    )
