"""Demo communities of practice (三名+), after the activities and observations.

City scale follows the real city of issue 12: 315 school consortia (121 city-level, the
rest county-level) over about 1,625 schools, 266 principal communities with about 1,541
principals, 3,368 teacher studios (102 city, 568 county, 2,698 school level) with about
52,000 memberships. Smaller scales shrink every count by the number of schools.

What makes the figures worth looking at: members are drawn with a lean towards urban
schools, so the rural/weak share of studios falls short of the city bureau's 50 % target
while consortia (where rural schools join urban leaders) meet theirs; about one community
in seven never had an activity (idle); the others organise a share of the activities of
their owner, so task progress and points differ. Schools and leaders obey the rules (one
studio led per person and level, one consortium per school and level). Everything is
bulk-inserted and follows ``ctx.rng``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from jiaoyan.activities.models import Activity
from jiaoyan.core.demo import DemoContext, chunked_bulk_create, step
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.people.models import RoleAssignment

from .models import Community, CommunityTask, Kind, KindPolicy, Level, Membership
from .policies import DEFAULT_TEMPLATES

REAL_SCHOOLS = 1625
COUNTS = {
    (Kind.CONSORTIUM, Level.CITY): 121,
    (Kind.CONSORTIUM, Level.COUNTY): 194,
    (Kind.PRINCIPAL, Level.CITY): 60,
    (Kind.PRINCIPAL, Level.COUNTY): 206,
    (Kind.STUDIO, Level.CITY): 102,
    (Kind.STUDIO, Level.COUNTY): 568,
    (Kind.STUDIO, Level.SCHOOL): 2698,
}
PREFIX = {Kind.CONSORTIUM: "MX", Kind.PRINCIPAL: "MZ", Kind.STUDIO: "MS"}
SUBJECT_NAMES = [
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "道德与法治",
    "历史",
    "科学",
    "音乐",
    "美术",
]


@step(50)
def build_communities(ctx: DemoContext) -> None:
    rng: random.Random = ctx.rng
    today = ctx.now.date()
    year = today.year
    units: list[OrgUnit] = ctx.data["units"]
    by_pk = {u.pk: u for u in units}
    institutes = {u.parent_id: u for u in units if u.kind == OrgUnit.Kind.INSTITUTE}
    bureaus = {u.parent_id: u for u in units if u.kind == OrgUnit.Kind.BUREAU}
    cities = ctx.data["cities"]
    counties = [c for cs in ctx.data["counties"].values() for c in cs]
    schools = [u for u, _s, _st in ctx.data["schools"]]
    flags = {
        pk: (loc == School.Location.RURAL or weak)
        for pk, loc, weak in School.objects.values_list("pk", "location", "is_weak")
    }
    factor = len(schools) / (REAL_SCHOOLS * len(cities))

    def n_of(kind, level, regions=1):
        return max(1, round(COUNTS[(kind, level)] * factor * len(cities) / max(1, regions)))

    def region_of(unit: OrgUnit, level: str) -> OrgUnit | None:
        for pk in (int(x) for x in unit.path.strip("/").split("/")):
            u = by_pk.get(pk)
            if u is not None and u.level == level and u.kind == OrgUnit.Kind.REGION:
                return u
        return None

    school_county = {s.pk: region_of(s, OrgUnit.Level.COUNTY) for s in schools}
    school_city = {s.pk: region_of(s, OrgUnit.Level.CITY) for s in schools}
    teachers: dict[int, list[int]] = defaultdict(list)
    principals: dict[int, list[int]] = defaultdict(list)
    person_unit: dict[int, int] = {}
    for pid, role, unit_id in RoleAssignment.objects.filter(
        role__in=[Role.TEACHER, Role.PRINCIPAL], is_active=True
    ).values_list("person_id", "role", "person__org_unit_id"):
        (teachers if role == Role.TEACHER else principals)[unit_id].append(pid)
        person_unit[pid] = unit_id

    def pool(region_schools: list[OrgUnit], source: dict[int, list[int]]) -> list[int]:
        return [p for s in region_schools for p in source.get(s.pk, [])]

    def draw(candidates: list[int], k: int, exclude: set[int]) -> list[int]:
        """``k`` people, leaning towards urban, strong schools (the usual picture)."""
        picked: list[int] = []
        tries = 0
        while len(picked) < k and tries < k * 8 and candidates:
            tries += 1
            p = rng.choice(candidates)
            if p in exclude or p in picked:
                continue
            if flags.get(person_unit.get(p)) and rng.random() < 0.45:
                continue  # under-represented: the target is missed in places
            picked.append(p)
        return picked

    start_on = dt.date(year - 1, 9, 1)
    end_on = dt.date(year + 2, 8, 31)
    communities: list[Community] = []
    members: list[list[tuple[int | None, int | None, str]]] = []
    counters: dict[str, int] = defaultdict(int)
    demo_teacher = ctx.data.get("accounts", {}).get("teacher")

    def add(kind, level, owner: OrgUnit, name: str, leader=None, school=None, rows=()):
        counters[kind] += 1
        code = f"{PREFIX[kind]}{counters[kind]:05d}"
        communities.append(
            Community(
                kind=kind,
                level=level,
                org_unit=owner,
                name=name,
                code=code,
                leader_id=leader,
                leading_school_id=school,
                start_on=start_on,
                end_on=end_on,
                goals="发挥引领示范作用，带动区域教师专业成长。",
                member_count=len(rows),
            )
        )
        members.append(list(rows))

    # --- consortia: partitions of the schools, one consortium per school and level ------
    city_schools: dict[int, list[OrgUnit]] = defaultdict(list)
    county_schools: dict[int, list[OrgUnit]] = defaultdict(list)
    for s in schools:
        if school_county[s.pk] is not None:
            county_schools[school_county[s.pk].pk].append(s)
        if school_city[s.pk] is not None:
            city_schools[school_city[s.pk].pk].append(s)

    def consortia(level, regions, by_region, share):
        for region in regions:
            group = [s for s in by_region[region.pk] if rng.random() < share]
            rng.shuffle(group)
            n = min(n_of(Kind.CONSORTIUM, level, len(regions)), max(1, len(group) // 3))
            strong = sorted(group, key=lambda s: flags.get(s.pk, False))
            leaders, rest = strong[:n], strong[n:]
            rng.shuffle(rest)
            owner = institutes.get(region.pk, region)
            for i, lead in enumerate(leaders):
                part = rest[i::n]
                rows = [(None, lead.pk, Membership.Role.LEADER)] + [
                    (None, s.pk, Membership.Role.MEMBER) for s in part
                ]
                add(
                    Kind.CONSORTIUM,
                    level,
                    owner,
                    f"{lead.name}教育联合体",
                    school=lead.pk,
                    rows=rows,
                )

    consortia(Level.CITY, cities, city_schools, 0.35)
    consortia(Level.COUNTY, counties, county_schools, 0.6)

    # --- principal communities -----------------------------------------------------------
    def people_communities(kind, level, regions, by_region, source, size, label, leaders_used):
        for region in regions:
            region_schools = by_region[region.pk]
            cands = pool(region_schools, source)
            if not cands:
                continue
            owner = institutes.get(region.pk, region) if level != Level.SCHOOL else region
            for _i in range(n_of(kind, level, len(regions))):
                free = [p for p in cands if p not in leaders_used]
                if not free:
                    break
                lead = rng.choice(free)
                leaders_used.add(lead)
                rows = [(lead, None, Membership.Role.LEADER)]
                others = draw(cands, rng.randint(*size), {lead})
                for j, p in enumerate(others):
                    role = (
                        Membership.Role.CORE
                        if j < 2
                        else (
                            Membership.Role.TRAINEE
                            if rng.random() < 0.2
                            else Membership.Role.MEMBER
                        )
                    )
                    rows.append((p, None, role))
                subject = rng.choice(SUBJECT_NAMES)
                add(
                    kind,
                    level,
                    owner,
                    label(region, subject, len(communities)),
                    leader=lead,
                    rows=rows,
                )

    people_communities(
        Kind.PRINCIPAL,
        Level.CITY,
        cities,
        city_schools,
        principals,
        (4, 8),
        lambda r, s, n: f"{r.name}名校长发展共同体{n}",
        set(),
    )
    people_communities(
        Kind.PRINCIPAL,
        Level.COUNTY,
        counties,
        county_schools,
        principals,
        (4, 7),
        lambda r, s, n: f"{r.name}名校长发展共同体{n}",
        set(),
    )
    people_communities(
        Kind.STUDIO,
        Level.CITY,
        cities,
        city_schools,
        teachers,
        (12, 20),
        lambda r, s, n: f"{r.name}{s}名师工作室{n}",
        set(),
    )
    county_leads: set[int] = set()
    people_communities(
        Kind.STUDIO,
        Level.COUNTY,
        counties,
        county_schools,
        teachers,
        (12, 20),
        lambda r, s, n: f"{r.name}{s}名师工作室{n}",
        county_leads,
    )
    # School-level studios: owned by their school, members from it.
    per_school = COUNTS[(Kind.STUDIO, Level.SCHOOL)] * factor * len(cities) / max(1, len(schools))
    for s in schools:
        staff = teachers.get(s.pk, [])
        k = int(per_school) + (1 if rng.random() < per_school - int(per_school) else 0)
        used: set[int] = set()
        for _i in range(k):
            free = [p for p in staff if p not in used]
            if len(free) < 4:
                break
            lead = rng.choice(free)
            used.add(lead)
            others = [
                p for p in rng.sample(staff, min(len(staff), rng.randint(6, 14))) if p != lead
            ]
            rows = [(lead, None, Membership.Role.LEADER)] + [
                (p, None, Membership.Role.MEMBER) for p in others
            ]
            add(
                Kind.STUDIO,
                Level.SCHOOL,
                s,
                f"{s.name}{rng.choice(SUBJECT_NAMES)}名师工作室",
                leader=lead,
                rows=rows,
            )

    # The demo teacher is a member of a studio of their county.
    county = school_county.get(demo_teacher.org_unit_id) if demo_teacher is not None else None
    if county is not None:
        owner = institutes.get(county.pk, county)
        for c, ms in zip(communities, members, strict=True):
            if (c.kind, c.level, c.org_unit_id) == (Kind.STUDIO, Level.COUNTY, owner.pk):
                if all(p != demo_teacher.pk for p, _s, _r in ms):
                    ms.append((demo_teacher.pk, None, Membership.Role.CORE))
                    c.member_count += 1
                break

    chunked_bulk_create(Community, communities)
    rows: list[Membership] = []
    for c, ms in zip(communities, members, strict=True):
        for person, school, role in ms:
            joined = (
                start_on
                if role == Membership.Role.LEADER
                else start_on + dt.timedelta(days=rng.randint(0, 200))
            )
            rows.append(
                Membership(
                    community_id=c.pk,
                    person_id=person,
                    school_id=school,
                    role=role,
                    joined_on=min(joined, today),
                )
            )
    chunked_bulk_create(Membership, rows, batch_size=5000)

    # --- activities organised by communities (idle ones have none) ----------------------
    by_owner: dict[int, list[Community]] = defaultdict(list)
    for c in communities:
        if rng.random() >= 0.14:  # about one in seven stays idle
            by_owner[c.org_unit_id].append(c)
    updates: dict[int, list[int]] = defaultdict(list)
    for aid, unit_id in Activity.objects.filter(org_unit_id__in=list(by_owner)).values_list(
        "pk", "org_unit_id"
    ):
        if rng.random() < 0.8:
            updates[rng.choice(by_owner[unit_id]).pk].append(aid)
    for cid, ids in updates.items():
        for i in range(0, len(ids), 2000):
            Activity.objects.filter(pk__in=ids[i : i + 2000]).update(community_id=cid)

    # --- the year's tasks from the default templates -------------------------------------
    tasks = []
    for c in communities:
        for order, t in enumerate(DEFAULT_TEMPLATES[c.kind]):
            target = max(1, t.target + rng.randint(-1, 2))
            tasks.append(
                CommunityTask(
                    community_id=c.pk,
                    year=year,
                    name=t.name,
                    measure=t.measure,
                    activity_kind=t.activity_kind,
                    min_participants=t.min_participants,
                    target=target,
                    order=order,
                )
            )
    chunked_bulk_create(CommunityTask, tasks, batch_size=5000)

    # --- the city bureaus' targets ------------------------------------------------------
    policies = []
    for city in cities:
        bureau = bureaus.get(city.pk)
        if bureau is None:
            continue
        policies += [
            KindPolicy(org_unit=bureau, kind=Kind.STUDIO, target_share=50, max_per_person=2),
            KindPolicy(org_unit=bureau, kind=Kind.CONSORTIUM, target_share=40, max_per_person=1),
            KindPolicy(org_unit=bureau, kind=Kind.PRINCIPAL, target_share=30, max_per_person=2),
        ]
    KindPolicy.objects.bulk_create(policies)
    ctx.log(
        f"communities: {len(communities)} communities, {len(rows)} memberships, "
        f"{sum(len(v) for v in updates.values())} activities organised by them"
    )
