"""Demo staff: every school's principal, teachers (by the subjects of its stages) and, in
larger schools, a counsellor; each bureau's admins; each institute's researchers by subject
and stage; honours and titles in realistic proportions; and the five demo accounts."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step, weighted
from jiaoyan.core.roles import Role
from jiaoyan.orgs.geo import FEMALE_GIVEN, MALE_GIVEN, SURNAMES
from jiaoyan.orgs.models import OrgUnit, School, Stage, Subject

from .models import Honour, Person, RoleAssignment, User

TITLES = [
    (Person.Title.SENIOR_PLUS, 0.005),
    (Person.Title.SENIOR, 0.16),
    (Person.Title.FIRST, 0.40),
    (Person.Title.SECOND, 0.28),
    (Person.Title.THIRD, 0.04),
    (Person.Title.NONE, 0.115),
]

# Teachers per subject, by stage (shares of a school's teachers).
SUBJECT_MIX = {
    "preschool": [("学前教育", 1.0)],
    "primary": [
        ("语文", 0.32),
        ("数学", 0.27),
        ("英语", 0.09),
        ("科学", 0.05),
        ("道德与法治", 0.05),
        ("音乐", 0.05),
        ("美术", 0.05),
        ("体育与健康", 0.07),
        ("信息科技", 0.03),
        ("劳动", 0.02),
    ],
    "junior": [
        ("语文", 0.15),
        ("数学", 0.15),
        ("英语", 0.14),
        ("物理", 0.07),
        ("化学", 0.05),
        ("生物", 0.06),
        ("道德与法治", 0.07),
        ("历史", 0.07),
        ("地理", 0.06),
        ("体育与健康", 0.07),
        ("音乐", 0.03),
        ("美术", 0.03),
        ("信息科技", 0.05),
    ],
    "senior": [
        ("语文", 0.14),
        ("数学", 0.14),
        ("英语", 0.13),
        ("物理", 0.09),
        ("化学", 0.08),
        ("生物", 0.08),
        ("思想政治", 0.07),
        ("历史", 0.07),
        ("地理", 0.07),
        ("体育与健康", 0.06),
        ("信息科技", 0.03),
        ("通用技术", 0.02),
        ("音乐", 0.01),
        ("美术", 0.01),
    ],
}
RESEARCH_SUBJECTS = {
    "primary": ["语文", "数学", "英语", "科学", "道德与法治", "音乐", "美术", "体育与健康"],
    "junior": ["语文", "数学", "英语", "物理", "化学", "生物", "道德与法治", "历史", "地理"],
    "senior": ["语文", "数学", "英语", "物理", "化学", "生物", "思想政治", "历史", "地理"],
    "preschool": ["学前教育"],
}
DEMO_ACCOUNTS = ["city_admin", "district_researcher", "principal", "teacher", "counsellor"]
# At province scale (several cities) also a user of the province: a bureau admin of 陕西省教育厅.
PROVINCE_ACCOUNTS = ["province_admin"]

# Honours drawn for one person: (the draw below which they hold it, the title, its levels
# with their odds, the earliest year awarded).
HONOUR_DRAWS = [
    (
        0.012,
        Honour.Title.MASTER_TEACHER,
        [(Honour.Level.PROVINCE, 0.3), (Honour.Level.CITY, 0.7)],
        2016,
    ),
    (
        0.04,
        Honour.Title.SUBJECT_LEADER,
        [(Honour.Level.CITY, 0.4), (Honour.Level.COUNTY, 0.6)],
        2015,
    ),
    (
        0.12,
        Honour.Title.KEY_TEACHER,
        [(Honour.Level.PROVINCE, 0.08), (Honour.Level.CITY, 0.32), (Honour.Level.COUNTY, 0.6)],
        2015,
    ),
]


class Staff:
    """Collects people and their roles for one bulk insert."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.people: list[Person] = []
        self.roles: list[tuple[int, str, int, list[int], list[int]]] = []  # person idx …
        self.honours: list[tuple[int, str, str, int]] = []
        self.subjects = dict(Subject.objects.values_list("name", "pk"))
        self.stages = dict(Stage.objects.values_list("code", "pk"))
        self.phone_seq = 0

    def name(self, gender: str) -> str:
        rng = self.ctx.rng
        given = MALE_GIVEN if gender == Person.Gender.MALE else FEMALE_GIVEN
        n = 1 if rng.random() < 0.35 else 2
        return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(n))

    def add(
        self,
        unit: OrgUnit,
        seq: int,
        *,
        role: str,
        scope: OrgUnit,
        subjects=(),
        stages=(),
        female_share: float = 0.68,
        title=None,
    ) -> int:
        rng = self.ctx.rng
        gender = Person.Gender.FEMALE if rng.random() < female_share else Person.Gender.MALE
        self.phone_seq += 1
        prefix = rng.choice(
            [
                "133",
                "135",
                "136",
                "137",
                "138",
                "139",
                "150",
                "151",
                "152",
                "158",
                "159",
                "177",
                "180",
                "181",
                "187",
                "189",
                "199",
            ]
        )
        phone = f"{prefix}{(self.phone_seq * 7919 + rng.randint(0, 97)) % 10**8:08d}"
        person = Person(
            staff_no=f"{unit.code}{seq:03d}" if len(unit.code) <= 10 else f"{unit.code}{seq:02d}",
            name=self.name(gender),
            gender=gender,
            phone=phone,
            org_unit=unit,
            professional_title=title or weighted(rng, TITLES),
            created_at=self.ctx.now,
            updated_at=self.ctx.now,
        )
        self.people.append(person)
        idx = len(self.people) - 1
        self.roles.append(
            (
                idx,
                role,
                scope.pk,
                [self.subjects[s] for s in subjects],
                [self.stages[s] for s in stages],
            )
        )
        r = rng.random()
        for below, title, levels, since in HONOUR_DRAWS:
            if r < below:
                self.honours.append((idx, title, weighted(rng, levels), rng.randint(since, 2025)))
                break
        return idx


@step(20)
def build_people(ctx: DemoContext) -> None:
    rng = ctx.rng
    staff = Staff(ctx)
    units: list[OrgUnit] = ctx.data["units"]
    by_pk = {u.pk: u for u in units}
    target = ctx.scale.staff_per_school
    school_specs = ctx.data["schools"]
    total_reported = sum(s.teacher_count for _u, s, _st in school_specs) or 1
    scale_factor = target * len(school_specs) / total_reported
    marked: dict[str, int] = {}

    # The demo school: a junior school of 临渭区 big enough to have a counsellor. A seed
    # may give 临渭区 no junior school: then one teaching the junior stage, then any
    # school there — never one outside 临渭区, whose researcher is a demo account too.
    junior = staff.stages["junior"]
    in_district = [
        (u, s, st) for u, s, st in school_specs if u.code.startswith("610502")
    ] or school_specs
    candidates = (
        [(u, s) for u, s, _st in in_district if s.kind == School.Kind.JUNIOR]
        or [(u, s) for u, s, st in in_district if junior in st]
        or [(u, s) for u, s, _st in in_district if s.kind != School.Kind.KINDERGARTEN]
    )
    demo_unit, demo_school = candidates[0]
    demo_school.student_count = max(demo_school.student_count, 900)
    School.objects.filter(pk=demo_unit.pk).update(student_count=demo_school.student_count)

    for unit, school, stage_ids in school_specs:
        stage_codes = [c for c, pk in staff.stages.items() if pk in stage_ids]
        is_demo = unit is demo_unit
        seq = 1
        idx = staff.add(
            unit,
            seq,
            role=Role.PRINCIPAL,
            scope=unit,
            subjects=[rng.choice(SUBJECT_MIX[stage_codes[0]])[0]],
            stages=stage_codes[:1],
            female_share=0.4,
            title=rng.choice([Person.Title.SENIOR, Person.Title.SENIOR, Person.Title.FIRST]),
        )
        if is_demo:
            marked["principal"] = idx
        n_teachers = max(2, round(school.teacher_count * scale_factor) - 1)
        if school.student_count >= 600 and school.kind != School.Kind.KINDERGARTEN:
            seq += 1
            idx = staff.add(
                unit,
                seq,
                role=Role.COUNSELLOR,
                scope=unit,
                subjects=["心理健康"],
                stages=stage_codes,
            )
            if is_demo:
                marked["counsellor"] = idx
            n_teachers -= 1
        for i in range(n_teachers):
            seq += 1
            stage = rng.choice(stage_codes)
            subject = weighted(rng, SUBJECT_MIX[stage])
            if is_demo and i == 0:
                subject = "数学"  # the demo teacher is the district researcher's kind
                stage = "junior" if "junior" in stage_codes else stage
            idx = staff.add(
                unit, seq, role=Role.TEACHER, scope=unit, subjects=[subject], stages=[stage]
            )
            if is_demo and i == 0:
                marked["teacher"] = idx

    for unit in units:
        if unit.kind == OrgUnit.Kind.BUREAU:
            region = by_pk[unit.parent_id]
            for seq in range(1, 4):
                idx = staff.add(unit, seq, role=Role.BUREAU_ADMIN, scope=region, female_share=0.5)
                if "city_admin" not in marked and region.level == OrgUnit.Level.CITY:
                    marked["city_admin"] = idx
                if "province_admin" not in marked and region.level == OrgUnit.Level.PROVINCE:
                    marked["province_admin"] = idx
        elif unit.kind == OrgUnit.Kind.INSTITUTE:
            region = by_pk[unit.parent_id]
            seq = 0
            stages = ["primary", "junior", "senior", "preschool"]
            for stage in stages:
                for subject in RESEARCH_SUBJECTS[stage]:
                    seq += 1
                    idx = staff.add(
                        unit,
                        seq,
                        role=Role.RESEARCHER,
                        scope=region,
                        subjects=[subject],
                        stages=[stage],
                        female_share=0.55,
                        title=rng.choice(
                            [
                                Person.Title.SENIOR,
                                Person.Title.SENIOR_PLUS,
                                Person.Title.SENIOR,
                                Person.Title.FIRST,
                            ]
                        ),
                    )
                    if (
                        "district_researcher" not in marked
                        and subject == "数学"
                        and stage == "junior"
                        and region.code == "610502"
                    ):
                        marked["district_researcher"] = idx

    bulk.bulk_create(Person, staff.people, batch_size=5000)
    ras = [
        RoleAssignment(person=staff.people[i], role=role, org_unit_id=scope, created_at=ctx.now)
        for i, role, scope, _su, _st in staff.roles
    ]
    bulk.bulk_create(RoleAssignment, ras, batch_size=5000)
    SubThrough = RoleAssignment.subjects.through
    StageThrough = RoleAssignment.stages.through
    bulk.bulk_create(
        SubThrough,
        [
            SubThrough(roleassignment_id=ra.pk, subject_id=s)
            for ra, (_i, _r, _sc, subs, _st) in zip(ras, staff.roles, strict=True)
            for s in subs
        ],
        batch_size=10000,
    )
    bulk.bulk_create(
        StageThrough,
        [
            StageThrough(roleassignment_id=ra.pk, stage_id=s)
            for ra, (_i, _r, _sc, _su, sts) in zip(ras, staff.roles, strict=True)
            for s in sts
        ],
        batch_size=10000,
    )
    seen = set()
    honours = []
    for i, title, level, year in staff.honours:
        if (i, title, level) in seen:
            continue
        seen.add((i, title, level))
        honours.append(Honour(person=staff.people[i], title=title, level=level, year=year))
    bulk.bulk_create(Honour, honours, batch_size=5000)

    # The five demo accounts (README), and the province's at province scale: one password
    # hash, shared.
    password = make_password(ctx.password)
    accounts = {}
    usernames = DEMO_ACCOUNTS + (PROVINCE_ACCOUNTS if ctx.scale.cities > 1 else [])
    for username in usernames:
        idx = marked.get(username)
        if idx is None:
            raise RuntimeError(f"demo: no person found for {username}")
        person = staff.people[idx]
        user = User.objects.create(username=username, password=password, first_name=person.name)
        Person.objects.filter(pk=person.pk).update(user=user)
        person.user = user
        accounts[username] = person
    ctx.data["people"] = staff.people
    ctx.data["accounts"] = accounts
    ctx.log(f"  人员 {len(staff.people)} 人，荣誉 {len(honours)} 项，演示账号 {len(accounts)} 个")
