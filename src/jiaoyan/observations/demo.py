"""Demo lesson observations: a year of them (city scale: about 200,000), with the coverage
gaps real districts have — schools that rarely observe, teachers nobody observed — plus
同课异构 rounds, liaison schools, a city rubric with two versions, S-T records, replies
and a few drafts. Principals and researchers get accounts (they are the observers).

Scores follow each teacher's level, with their own strong and weak dimensions and a
slight improvement over the year, so growth pages and distributions look like life.

The step runs after the activities step (order 40), so rounds and observations join the
research activities it made: the 同课异构 rounds are held in the finished 同课异构
activities of their county's institute (same subject and stage, on its day) as far as
there are such activities (the rest have none), and a share of
the observations "within an activity" and of teaching inspections are linked to a
finished 听评课 / 观摩 / 送教 activity of the teacher's school, county or city for the
teacher's subject and stage, or to a 教学视导 of the county or city.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.models import ScopeGrant
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person, RoleAssignment, User

from . import services, stats
from .models import (
    ComparisonRound,
    LiaisonAssignment,
    Observation,
    ObservationReply,
    ObservationScore,
    Rubric,
    RubricVersion,
)
from .scoring import parse_rubric_text
from .st import analyse
from .terms import term_start

RATE = {"small": 3.6, "city": 3.6, "province": 0.5}  # observations per teacher and year
NEVER_OBSERVED = 0.12  # share of teachers nobody observes
QUIET_SCHOOLS = 0.10  # share of schools that hardly observe
LINKED = 0.75  # share of observations within an activity / of inspections linked to one
LESSON_KINDS = (
    Activity.Kind.OBSERVATION,
    Activity.Kind.DEMONSTRATION,
    Activity.Kind.OUTREACH,
)
CHUNK = 4000

GRADES = {
    "preschool": ["小班", "中班", "大班"],
    "primary": ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"],
    "junior": ["七年级", "八年级", "九年级"],
    "senior": ["高一", "高二", "高三"],
}
TOPICS = {
    "语文": [
        "《春》",
        "《背影》",
        "《桃花源记》",
        "《草船借箭》",
        "古诗三首",
        "《济南的冬天》",
        "习作：我的家乡",
        "《荷塘月色》",
        "《故都的秋》",
        "口语交际：劝说",
    ],
    "数学": [
        "一元一次方程",
        "勾股定理",
        "分数的初步认识",
        "圆的面积",
        "平行四边形的性质",
        "二次函数的图像",
        "认识人民币",
        "百分数的应用",
        "全等三角形",
        "概率初步",
    ],
    "英语": [
        "Unit 3 My friends",
        "Unit 5 Do you have a soccer ball?",
        "Reading: A Trip to the Zoo",
        "Unit 2 What time do you go to school?",
        "Writing: My Weekend",
    ],
    "物理": ["牛顿第一定律", "欧姆定律", "光的折射", "浮力", "电功率"],
    "化学": ["氧气的性质", "质量守恒定律", "酸和碱的中和反应", "原子的结构"],
    "生物": ["细胞的结构", "光合作用", "生态系统", "人体的消化"],
    "道德与法治": ["友谊的天空", "法律在我们身边", "学会交往", "珍视生命"],
    "思想政治": ["社会主义市场经济", "文化自信", "人民当家作主"],
    "历史": ["秦统一中国", "辛亥革命", "丝绸之路", "工业革命"],
    "地理": ["地球的运动", "中国的河流", "天气与气候", "黄土高原"],
    "科学": ["植物的生长", "水的三态变化", "简单电路", "认识岩石"],
    "信息科技": ["算法初步", "编程入门", "数据与编码"],
    "音乐": ["歌曲《茉莉花》", "节奏与节拍", "民族乐器"],
    "美术": ["色彩的情感", "剪纸艺术", "线描写生"],
    "体育与健康": ["立定跳远", "篮球运球", "50米快速跑", "广播体操"],
    "劳动": ["整理书包", "种植小能手"],
    "通用技术": ["技术与设计", "结构与设计"],
    "学前教育": ["认识颜色", "小动物找家", "好玩的沙子", "我爱刷牙"],
}
STRENGTHS = [
    "导入新颖，能迅速激发学生兴趣。",
    "教学目标明确，重难点把握准确。",
    "问题设计有层次，注重学生思维发展。",
    "教态自然亲切，课堂氛围融洽。",
    "小组合作组织有序，学生参与度高。",
    "板书设计简洁清晰，重点突出。",
    "信息技术运用恰当，直观形象。",
    "注重知识与生活的联系，学生兴趣浓厚。",
]
SUGGESTIONS = [
    "留给学生独立思考的时间可以再多一些。",
    "小组合作前任务要更明确，汇报环节可更充分。",
    "对学生回答的评价可以更具体、更有针对性。",
    "课堂节奏稍快，后半段学生练习时间不足。",
    "可以更多关注后排和学困生的参与。",
    "教师讲得偏多，可以把更多的时间交给学生。",
    "课堂小结可以引导学生自己归纳。",
]
REPLIES = [
    "感谢指导，我会在下一节课中改进小组合作环节。",
    "谢谢您的建议，练习时间确实不够，已调整教学设计。",
    "收到，我会多关注后排学生。",
    "谢谢，欢迎再来听课指导！",
]
CITY_RUBRIC_V1 = """
# 教学目标 | 10
- 目标符合课标与学情，可检测 | 10
# 数学思维 | 30
- 问题情境真实，引发数学思考 | 10
- 重视推理与建模，思维有深度 | 10
- 及时反馈，关注错误资源 | 10
# 学生活动 | 30
- 自主探究与合作交流真实有效 | 15
- 全体参与，展示充分 | 15
# 教学效果 | 30
- 目标达成，学生能解决变式问题 | 20
- 学习兴趣浓厚 | 10
"""
CITY_RUBRIC_V2 = (
    CITY_RUBRIC_V1.replace("# 学生活动 | 30", "# 学生活动 | 35")
    .replace("# 教学效果 | 30", "# 教学效果 | 25")
    .replace("- 目标达成，学生能解决变式问题 | 20", "- 目标达成，学生能解决变式问题 | 15")
    .replace("- 全体参与，展示充分 | 15", "- 全体参与，展示充分 | 20")
)


def _school_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    d = start
    while d <= end:
        holiday = (
            (d.month == 7 and d.day > 10)
            or d.month == 8
            or ((d.month == 1 and d.day > 20) or (d.month == 2 and d.day < 20))
        )
        if d.weekday() < 5 and not holiday:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def _poisson(rng, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _st_sequence(rng, style: float, n: int = 80) -> str:
    """A Markov chain of behaviours: ``style`` is the teacher's share of talk."""
    stay_t = 0.55 + 0.4 * style
    stay_s = 0.55 + 0.4 * (1 - style)
    cur = "T" if rng.random() < 0.8 else "S"
    out = []
    for _ in range(n):
        out.append(cur)
        stay = stay_t if cur == "T" else stay_s
        if rng.random() > stay:
            cur = "S" if cur == "T" else "T"
    return "".join(out)


class _Version:
    """A rubric version's content as plain tuples, for fast scoring."""

    def __init__(self, version):
        self.version = version
        self.dims = [
            (
                d.pk,
                d.name,
                Decimal(d.weight),
                [(c.pk, Decimal(c.max_score)) for c in d.criteria.all()],
            )
            for d in services.version_dimensions(version)
        ]

    def score(self, rng, level: float, offsets: dict[str, float]):
        scores = []
        results = []
        total = Decimal(0)
        for dim_id, name, weight, crits in self.dims:
            got = Decimal(0)
            maximum = Decimal(0)
            for cid, mx in crits:
                share = level + offsets.get(name, 0.0) + rng.gauss(0, 0.05)
                share = min(1.0, max(0.35, share))
                value = (Decimal(str(share)) * mx * 2).quantize(Decimal(1), ROUND_HALF_UP) / 2
                scores.append((cid, value))
                got += value
                maximum += mx
            points = weight * got / maximum
            total += points
            results.append(
                {
                    "dimension": dim_id,
                    "name": name,
                    "weight": float(weight),
                    "points": float(points.quantize(Decimal("0.01"), ROUND_HALF_UP)),
                    "percent": float(
                        (100 * got / maximum).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    ),
                }
            )
        return total.quantize(Decimal("0.01"), ROUND_HALF_UP), results, scores


class _Activities:
    """The finished activities observations may join, by organiser and kind of lesson
    (read once: a city's year is about 21,000 activities, a few columns each)."""

    def __init__(self, days: list[dt.date]) -> None:
        day_set = set(days)
        self.lessons: dict[tuple[int, int | None], list[tuple]] = defaultdict(list)
        self.inspections: dict[int, list[tuple]] = defaultdict(list)
        self.same_lesson: list[tuple] = []
        rows = (
            Activity.objects.filter(
                status=Activity.Status.FINISHED,
                kind__in=[*LESSON_KINDS, Activity.Kind.INSPECTION, Activity.Kind.SAME_LESSON],
            )
            .values_list(
                "pk", "title", "org_unit_id", "kind", "subject_id", "stage_id", "starts_at"
            )
            .order_by("pk")
        )
        for pk, title, unit, kind, subj, stg, starts in rows:
            day = timezone.localtime(starts).date()
            if day not in day_set:
                continue
            row = (pk, title[:200], day, subj, stg, unit)
            if kind == Activity.Kind.INSPECTION:
                self.inspections[unit].append(row)
            elif kind == Activity.Kind.SAME_LESSON:
                if subj is not None and stg is not None:
                    self.same_lesson.append(row)
            else:
                self.lessons[(unit, subj)].append(row)
        self._pools: dict[tuple, list[tuple]] = {}

    def for_lesson(self, rng, units: tuple[int, ...], subj: int, stg: int) -> tuple | None:
        key = ("lesson", units, subj, stg)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = [
                a for u in units for a in self.lessons.get((u, subj), ()) if a[4] in (None, stg)
            ]
        return rng.choice(pool) if pool else None

    def for_inspection(self, rng, units: tuple[int, ...], subj: int, stg: int) -> tuple | None:
        key = ("inspection", units, subj, stg)
        pool = self._pools.get(key)
        if pool is None:
            # An inspection of the teacher's subject and stage, else one of every subject.
            every = [a for u in units for a in self.inspections.get(u, ())]
            own = [a for a in every if a[3] == subj and a[4] in (None, stg)]
            pool = self._pools[key] = own or [a for a in every if a[3] is None]
        return rng.choice(pool) if pool else None


@step(45)
def build_observations(ctx: DemoContext) -> None:
    rng = ctx.rng
    scale = ctx.scale.name
    today = ctx.now.date() if hasattr(ctx.now, "date") else ctx.now
    days = _school_days(today - dt.timedelta(days=365), today - dt.timedelta(days=1))
    recent = [d for d in days if d >= today - dt.timedelta(days=14)] or days[-5:]
    subjects = {s.pk: s.name for s in Subject.objects.all()}
    stages = {s.pk: s.code for s in Stage.objects.all()}
    accounts = ctx.data.get("accounts", {})
    demo_teacher = accounts.get("teacher")
    demo_principal = accounts.get("principal")
    demo_researcher = accounts.get("district_researcher")
    city_admin = accounts.get("city_admin")

    # --- who is who ----------------------------------------------------------------------
    unit_parent = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    unit_path = dict(OrgUnit.objects.values_list("pk", "path"))
    unit_level = dict(OrgUnit.objects.values_list("pk", "level"))
    teachers: list[tuple[int, int, int, int]] = []  # person, school, subject, stage
    seen = set()
    for pid, school, subj, stg in (
        RoleAssignment.objects.filter(role=Role.TEACHER, is_active=True)
        .values_list("person_id", "org_unit_id", "subjects", "stages")
        .order_by("person_id")
    ):
        if pid in seen or subj is None or stg is None:
            continue
        seen.add(pid)
        teachers.append((pid, school, subj, stg))
    principals = dict(
        RoleAssignment.objects.filter(role=Role.PRINCIPAL, is_active=True).values_list(
            "org_unit_id", "person_id"
        )
    )
    researchers = []  # (person, region, subject, stage, employing unit)
    seen = set()
    for pid, region, subj, stg, employer in (
        RoleAssignment.objects.filter(role=Role.RESEARCHER, is_active=True)
        .values_list("person_id", "org_unit_id", "subjects", "stages", "person__org_unit_id")
        .order_by("person_id")
    ):
        if pid in seen:
            continue
        seen.add(pid)
        researchers.append((pid, region, subj, stg, employer))

    # Accounts for the observers (principals and researchers) who have none.
    observer_ids = set(principals.values()) | {r[0] for r in researchers}
    users = dict(
        Person.objects.filter(pk__in=observer_ids, user__isnull=False).values_list("pk", "user_id")
    )
    missing = Person.objects.filter(pk__in=observer_ids, user__isnull=True).values_list(
        "pk", "staff_no", "name"
    )
    # Observers need accounts; only the five documented demo accounts can log in.
    password = make_password(None)
    new_users = []
    new_people = []
    for pk, staff_no, name in missing:
        new_users.append(User(username=f"u{staff_no}", password=password, first_name=name[:150]))
        new_people.append(pk)
    bulk.bulk_create(User, new_users, batch_size=2000)
    by_name = dict(
        User.objects.filter(username__in=[u.username for u in new_users]).values_list(
            "username", "pk"
        )
    )
    updates = []
    for pk, user in zip(new_people, new_users, strict=True):
        uid = user.pk or by_name[user.username]
        users[pk] = uid
        updates.append(Person(pk=pk, user_id=uid))
    bulk.bulk_update(Person, updates, ["user"])
    person_unit = dict(Person.objects.filter(pk__in=observer_ids).values_list("pk", "org_unit_id"))
    names = dict(Person.objects.filter(pk__in=observer_ids).values_list("pk", "name"))
    teacher_names = dict(
        Person.objects.filter(pk__in=[t[0] for t in teachers]).values_list("pk", "name")
    )
    teacher_users = dict(
        Person.objects.filter(pk__in=[t[0] for t in teachers], user__isnull=False).values_list(
            "pk", "user_id"
        )
    )

    def county_of(unit_id: int) -> int | None:
        u = unit_id
        while u is not None and unit_level.get(u) != OrgUnit.Level.COUNTY:
            u = unit_parent.get(u)
        return u

    # The research activities of the year (made by the activities step): a county's are
    # organised by its institute (or the county itself where it has none).
    activities = _Activities(days)
    institute_of: dict[int, int] = {}
    for pk, parent in OrgUnit.objects.filter(kind=OrgUnit.Kind.INSTITUTE).values_list(
        "pk", "parent_id"
    ):
        institute_of.setdefault(parent, pk)

    organisers: dict[int, tuple[int, ...]] = {}

    def organisers_for(school: int) -> tuple[int, ...]:
        """The school, and the institutes (else the regions) of its county and city."""
        if school not in organisers:
            out = [school]
            u = unit_parent.get(school)
            while u is not None:
                if unit_level.get(u) in (OrgUnit.Level.COUNTY, OrgUnit.Level.CITY):
                    out.append(institute_of.get(u, u))
                u = unit_parent.get(u)
            organisers[school] = tuple(out)
        return organisers[school]

    res_by_region: dict[int, list] = defaultdict(list)
    for r in researchers:
        res_by_region[r[1]].append(r)

    # --- rubrics: the built-in one, and a city rubric for junior maths with two versions --
    builtin = Rubric.objects.get(org_unit__isnull=True, is_active=True)
    versions = {"builtin": _Version(builtin.current)}
    city_v = None
    cities = ctx.data.get("cities") or []
    if cities and city_admin is not None and city_admin.user_id:
        actor = User.objects.get(pk=city_admin.user_id)
        city_rubric = services.create_rubric(
            actor=actor,
            org_unit=cities[0],
            name=f"{cities[0].name}初中数学课堂教学评价表",
            structure=parse_rubric_text(CITY_RUBRIC_V1),
            stage=Stage.objects.get(code="junior"),
            subject=Subject.objects.get(name="数学"),
            description="突出数学思维与学生活动，供全市初中数学常态课、视导课使用。",
        )
        versions["city_v1"] = _Version(city_rubric.current)
        # Version 2 (more weight on student activity) from half-way through the year.
        v2 = RubricVersion.objects.create(
            rubric=city_rubric, number=2, created_by=actor, note="提高学生活动权重"
        )
        services._write_structure(v2, parse_rubric_text(CITY_RUBRIC_V2))
        versions["city_v2"] = _Version(v2)
        city_v = (city_rubric, days[len(days) // 2], v2)
    junior_math = (
        Subject.objects.get(name="数学").pk,
        Stage.objects.get(code="junior").pk,
    )

    # --- liaison schools -----------------------------------------------------------------
    schools_by_county: dict[int, list[int]] = defaultdict(list)
    for unit, _school, _st in ctx.data["schools"]:
        c = county_of(unit.pk)
        if c is not None:
            schools_by_county[c].append(unit.pk)
    all_schools = [u.pk for u, _s, _st in ctx.data["schools"]]
    liaison = []
    liaison_of: dict[int, list[int]] = defaultdict(list)  # school -> researchers
    for r in researchers:
        pool = schools_by_county.get(r[1]) or all_schools
        k = rng.randint(2, 4) if unit_level.get(r[1]) == OrgUnit.Level.CITY else rng.randint(3, 6)
        picked = rng.sample(pool, min(k, len(pool)))
        if (
            demo_researcher is not None
            and r[0] == demo_researcher.pk
            and demo_principal is not None
            and demo_principal.org_unit_id not in picked
        ):
            picked[0] = demo_principal.org_unit_id
        for s in picked:
            liaison.append(
                LiaisonAssignment(
                    researcher_id=r[0],
                    school_id=s,
                    start_date=days[0],
                    note="联点联校",
                    created_at=ctx.now,
                )
            )
            liaison_of[s].append(r[0])
    bulk.bulk_create(LiaisonAssignment, liaison, batch_size=5000)

    # --- how often each teacher is observed ----------------------------------------------
    school_factor = {}
    for s in all_schools:
        x = rng.random()
        school_factor[s] = 0.15 if x < QUIET_SCHOOLS else (1.8 if x > 0.9 else 1.0)
    weights = []
    for pid, school, _subj, _stg in teachers:
        if rng.random() < NEVER_OBSERVED and (demo_teacher is None or pid != demo_teacher.pk):
            weights.append(0.0)
        else:
            weights.append(school_factor[school] * rng.expovariate(1.0))
    target = RATE.get(scale, 1.0) * len(teachers) * 0.92  # the rest come from rounds
    norm = target / (sum(weights) or 1)

    # --- the observations ------------------------------------------------------------------
    ct_round = ContentType.objects.get_for_model(ComparisonRound)
    pending: list[tuple[Observation, list, str | None]] = []
    counts = {"observations": 0, "scores": 0, "replies": 0, "rounds": 0, "linked": 0}

    def flush():
        if not pending:
            return
        bulk.bulk_create(Observation, [p[0] for p in pending])
        # Millions of narrow rows: plain values, not model instances.
        score_rows = [(o.pk, c, v) for o, scores, _r in pending for c, v in scores]
        columns = ["observation_id", "criterion_id", "score"]
        bulk.insert_values(ObservationScore, columns, score_rows)
        replies = [
            ObservationReply(
                observation_id=o.pk,
                author_id=teacher_users.get(o.teacher_id),
                author_name=teacher_names.get(o.teacher_id, ""),
                text=text,
                created_at=o.submitted_at + dt.timedelta(days=1),
            )
            for o, _s, text in pending
            if text
        ]
        bulk.bulk_insert(ObservationReply, replies)
        counts["observations"] += len(pending)
        counts["scores"] += len(score_rows)
        counts["replies"] += len(replies)
        pending.clear()

    def make(
        teacher,
        observer_pid,
        kind,
        date,
        *,
        level,
        offsets,
        style,
        rnd=None,
        draft=False,
        activity=None,
    ):
        pid, school, subj, stg = teacher
        version = versions["builtin"]
        if city_v is not None and (subj, stg) == junior_math and rng.random() < 0.7:
            version = versions["city_v2"] if date >= city_v[1] else versions["city_v1"]
        growth = 0.04 * (date - days[0]).days / 365
        total, results, scores = version.score(rng, level + growth, offsets)
        seq = _st_sequence(rng, style) if rng.random() < 0.25 else ""
        st = analyse(seq) if seq else None
        stage_code = stages[stg]
        subject_name = subjects[subj]
        submitted = not draft
        obs = Observation(
            org_unit_id=school,
            unit_path=unit_path[school],
            teacher_id=pid,
            observer_id=users[observer_pid],
            observer_name=names[observer_pid][:50],
            observer_unit_id=person_unit.get(observer_pid),
            kind=kind,
            subject_id=subj,
            stage_id=stg,
            grade=rng.choice(GRADES.get(stage_code, ["—"])),
            class_name=f"{rng.randint(1, 8)}班",
            topic=rnd.topic
            if rnd is not None
            else rng.choice(TOPICS.get(subject_name, ["新授课"])),
            date=date,
            period=rng.randint(1, 7),
            term=term_start(date),
            rubric_version=version.version,
            round=rnd,
            activity_id=rnd.activity_id if rnd is not None else (activity[0] if activity else None),
            activity_title=rnd.activity_title
            if rnd is not None
            else (activity[1] if activity else ""),
            total=total,
            dimension_results=results,
            st_sequence=seq,
            st_interval=30,
            st_rt=Decimal(st.rt.numerator) / Decimal(st.rt.denominator) if st else None,
            st_ch=(Decimal(st.ch.numerator) / Decimal(st.ch.denominator)).quantize(
                Decimal("0.0001")
            )
            if st
            else None,
            st_mode=st.mode if st else "",
            strengths=rng.choice(STRENGTHS) + rng.choice(STRENGTHS),
            suggestions=rng.choice(SUGGESTIONS),
            status=Observation.Status.SUBMITTED if submitted else Observation.Status.DRAFT,
            submitted_at=ctx.now.replace(
                year=date.year, month=date.month, day=date.day, hour=17, minute=0
            )
            if submitted
            else None,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        if obs.st_rt is not None:
            obs.st_rt = obs.st_rt.quantize(Decimal("0.0001"))
        if obs.activity_id is not None:
            counts["linked"] += 1
        reply = rng.choice(REPLIES) if submitted and rng.random() < 0.08 else None
        pending.append((obs, scores, reply))
        if len(pending) >= CHUNK:
            flush()

    def observer_for(teacher, kind_hint: float) -> tuple[int, str]:
        _pid, school, subj, stg = teacher
        county = county_of(school)
        if kind_hint < 0.45 and school in principals:
            k = Observation.Kind.DROP_IN if rng.random() < 0.7 else Observation.Kind.SCHEDULED
            return principals[school], k
        pool = liaison_of.get(school) if kind_hint < 0.6 else None
        if not pool:
            candidates = [
                r for r in res_by_region.get(county, []) if r[2] == subj and r[3] == stg
            ] or res_by_region.get(county, [])
            if not candidates or kind_hint > 0.93:
                city = next((u for u in (ctx.data.get("cities") or [])), None)
                candidates = [
                    r for r in res_by_region.get(city.pk if city else -1, []) if r[2] == subj
                ] or candidates
            pool = [r[0] for r in candidates]
        if not pool:
            return principals.get(school), Observation.Kind.DROP_IN
        x = rng.random()
        kind = (
            Observation.Kind.SCHEDULED
            if x < 0.35
            else Observation.Kind.INSPECTION
            if x < 0.65
            else Observation.Kind.ACTIVITY
            if x < 0.85
            else Observation.Kind.DROP_IN
        )
        return rng.choice(pool), kind

    profiles = {}
    # Sorted: a set of strings iterates in an order that changes with each process's hash
    # seed, and the draws below follow it.
    dim_names = sorted({n for v in versions.values() for _d, n, _w, _c in v.dims})
    for teacher, w in zip(teachers, weights, strict=True):
        pid = teacher[0]
        level = min(0.95, max(0.55, rng.gauss(0.8, 0.07)))
        offsets = {n: rng.gauss(0, 0.05) for n in dim_names}
        style = min(0.9, max(0.15, rng.gauss(0.55, 0.15)))
        profiles[pid] = (level, offsets, style)
        n = _poisson(rng, w * norm)
        if demo_teacher is not None and pid == demo_teacher.pk:
            n = max(n, 6)
        for _ in range(n):
            observer, kind = observer_for(teacher, rng.random())
            if observer is None or observer not in users or observer == pid:
                continue
            date, activity = rng.choice(days), None
            if kind in (Observation.Kind.ACTIVITY, Observation.Kind.INSPECTION) and (
                rng.random() < LINKED
            ):
                find = (
                    activities.for_inspection
                    if kind == Observation.Kind.INSPECTION
                    else activities.for_lesson
                )
                activity = find(rng, organisers_for(teacher[1]), teacher[2], teacher[3])
                if activity is not None:
                    date = activity[2]
            make(
                teacher,
                observer,
                kind,
                date,
                level=level,
                offsets=offsets,
                style=style,
                activity=activity,
            )

    # The demo people: the principal's drop-ins at the demo school and the researcher's
    # visits to the demo teacher, so their pages have something to show.
    if demo_teacher is not None and demo_principal is not None:
        t = next((x for x in teachers if x[0] == demo_teacher.pk), None)
        if t is not None:
            level, offsets, style = profiles[t[0]]
            for i, d in enumerate(days[-160::40]):
                make(
                    t,
                    demo_principal.pk,
                    Observation.Kind.DROP_IN,
                    d,
                    level=level,
                    offsets=offsets,
                    style=style,
                )
                if demo_researcher is not None and i % 2 == 0:
                    make(
                        t,
                        demo_researcher.pk,
                        Observation.Kind.INSPECTION,
                        d,
                        level=level,
                        offsets=offsets,
                        style=style,
                    )
            make(
                t,
                demo_principal.pk,
                Observation.Kind.DROP_IN,
                recent[-1],
                level=level,
                offsets=offsets,
                style=style,
                draft=True,
            )

    # --- 同课异构 rounds: three teachers of one subject and stage in a county ---------------
    by_county_subject: dict[tuple[int, int, int], list] = defaultdict(list)
    for t in teachers:
        c = county_of(t[1])
        if c is not None:
            by_county_subject[(c, t[2], t[3])].append(t)
    keys = [k for k, v in by_county_subject.items() if len(v) >= 3 and res_by_region.get(k[0])]
    n_rounds = int(RATE.get(scale, 1.0) * len(teachers) * 0.08 / 8)
    # The county institutes' finished 同课异构 activities host the rounds first, one each.
    county_of_institute = {inst: county for county, inst in institute_of.items()}
    hosts = []
    for a in activities.same_lesson:
        county = county_of_institute.get(a[5], a[5])
        if (
            (county, a[3], a[4]) in by_county_subject
            and len(by_county_subject[(county, a[3], a[4])]) >= 3
            and res_by_region.get(county)
        ):
            hosts.append((county, a))
    rng.shuffle(hosts)
    rounds = []
    plan = []
    for i in range(n_rounds if keys else 0):
        activity = None
        if i < len(hosts):
            county, activity = hosts[i]
            subj, stg, date = activity[3], activity[4], activity[2]
        else:
            county, subj, stg = rng.choice(keys)
            date = rng.choice(days)
        participants = rng.sample(by_county_subject[(county, subj, stg)], 3)
        org = institute_of.get(county, county)
        topic = rng.choice(TOPICS.get(subjects[subj], ["新授课"]))
        rounds.append(
            ComparisonRound(
                org_unit_id=org,
                topic=topic,
                subject_id=subj,
                stage_id=stg,
                date=date,
                description="三位教师同上一课，课后集体评议。",
                activity_id=activity[0] if activity else None,
                activity_title=activity[1] if activity else "",
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
        plan.append((county, participants))
    bulk.bulk_create(ComparisonRound, rounds, batch_size=2000)
    grants = []
    for rnd, (county, participants) in zip(rounds, plan, strict=True):
        pool = [r[0] for r in res_by_region.get(county, [])]
        observers = rng.sample(pool, min(len(pool), rng.randint(2, 3)))
        for t in participants:
            level, offsets, style = profiles[t[0]]
            for o in observers:
                if o in users:
                    make(
                        t,
                        o,
                        Observation.Kind.SAME_LESSON,
                        rnd.date,
                        level=level,
                        offsets=offsets,
                        style=style,
                        rnd=rnd,
                    )
            grants.append(
                ScopeGrant(content_type=ct_round, object_id=rnd.pk, unit_id=t[1], reason="同课异构")
            )
    flush()
    bulk.bulk_insert(ScopeGrant, list({(g.object_id, g.unit_id): g for g in grants}.values()))
    counts["rounds"] = len(rounds)

    if city_v is not None:
        rubric, _mid, v2 = city_v
        Rubric.objects.filter(pk=rubric.pk).update(current=v2, version=2)

    built = stats.rebuild()
    in_activities = sum(1 for r in rounds if r.activity_id)
    ctx.log(
        f"  听课 {counts['observations']} 节（评分 {counts['scores']} 项，"
        f"回复 {counts['replies']} 条），"
        f"同课异构 {counts['rounds']} 轮（{in_activities} 轮在教研活动中），"
        f"关联教研活动的听课 {counts['linked']} 节，"
        f"联点联校 {len(liaison)} 项，统计 {built['unit_terms']} 行"
    )
