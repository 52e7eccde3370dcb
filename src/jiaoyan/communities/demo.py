"""Demo communities of practice (三名+), after the activities and observations.

City scale follows the real city of issue 12: 315 school consortia (121 city-level, the
rest county-level) with 1,625 member schools, 266 principal communities with 1,541
principal members, 3,368 teacher studios (102 city, 568 county, 2,698 school level) with
52,747 teacher members (memberships, as the city reports them; distinct people are
fewer: at city scale 1,238 schools, 995 principals and 34,691 teachers). Smaller and larger scales
scale every count by the number of schools (province: ten cities, ten times).

What makes the figures worth looking at: members are drawn with a lean towards urban
schools, so the rural/weak share of studios falls short of the city bureau's 50 % target
while consortia (where rural schools join urban leaders) meet their 35 %; about one
community in seven held no activity in the last 90 days (idle: 15 % at city scale); the
others organise a share of the activities of their owner — each at least one held
recently where its owner has one — so task progress and points differ. Schools and
leaders obey the rules (one studio led per person and level, one consortium per school
and level). Everything is bulk-inserted and follows ``ctx.rng``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from jiaoyan.activities.models import Activity
from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.paths import path_ids
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.people.models import RoleAssignment

from . import progress
from .models import (
    Community,
    CommunityTask,
    Kind,
    KindPolicy,
    Level,
    Measure,
    Membership,
    SharedFile,
)
from .policies import DEFAULT_TEMPLATES

REAL_SCHOOLS = 1625
#: Members of the real city's communities of each kind (schools, principals, teachers).
MEMBER_ROWS = {Kind.CONSORTIUM: 1625, Kind.PRINCIPAL: 1541, Kind.STUDIO: 52747}
IDLE_SHARE = 0.1
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

    def total_of(kind, level) -> int:
        return max(1, round(COUNTS[(kind, level)] * factor * len(cities)))

    def spread(total: int, weights: list[float]) -> list[int]:
        """``total`` split in proportion to ``weights`` (largest remainders): exact."""
        whole = sum(weights) or 1
        shares = [total * w / whole for w in weights]
        out = [int(x) for x in shares]
        for i in sorted(range(len(shares)), key=lambda i: out[i] - shares[i])[: total - sum(out)]:
            out[i] += 1
        return out

    def region_of(unit: OrgUnit, level: str) -> OrgUnit | None:
        for pk in path_ids(unit.path):
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
    pools: list[list[int]] = []  # where each community's further members come from
    counters: dict[str, int] = defaultdict(int)
    demo_teacher = ctx.data.get("accounts", {}).get("teacher")

    def add(kind, level, owner: OrgUnit, name: str, leader=None, school=None, rows=(), among=()):
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
            )
        )
        members.append(list(rows))
        pools.append(list(among))

    # --- consortia: one consortium per school and level --------------------------------
    city_schools: dict[int, list[OrgUnit]] = defaultdict(list)
    county_schools: dict[int, list[OrgUnit]] = defaultdict(list)
    for s in schools:
        if school_county[s.pk] is not None:
            county_schools[school_county[s.pk].pk].append(s)
        if school_city[s.pk] is not None:
            city_schools[school_city[s.pk].pk].append(s)

    def consortia(level, regions, by_region, share):
        sizes = spread(total_of(Kind.CONSORTIUM, level), [len(by_region[r.pk]) for r in regions])
        for region, wanted in zip(regions, sizes, strict=True):
            group = [s for s in by_region[region.pk] if rng.random() < share]
            rng.shuffle(group)
            n = min(wanted, max(1, len(group) // 3))
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
                    among=[s.pk for s in by_region[region.pk]],
                )

    consortia(Level.CITY, cities, city_schools, 0.35)
    consortia(Level.COUNTY, counties, county_schools, 0.6)

    # --- principal communities and city/county studios ---------------------------------
    def people_communities(kind, level, regions, by_region, source, size, label, leaders_used):
        sizes = spread(total_of(kind, level), [len(by_region[r.pk]) for r in regions])
        for region, wanted in zip(regions, sizes, strict=True):
            region_schools = by_region[region.pk]
            cands = pool(region_schools, source)
            if not cands:
                continue
            owner = institutes.get(region.pk, region) if level != Level.SCHOOL else region
            free = [p for p in cands if p not in leaders_used]
            rng.shuffle(free)
            for lead in free[:wanted]:
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
                    among=cands,
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
    people_communities(
        Kind.STUDIO,
        Level.COUNTY,
        counties,
        county_schools,
        teachers,
        (12, 20),
        lambda r, s, n: f"{r.name}{s}名师工作室{n}",
        set(),
    )
    # School-level studios: owned by their school, members from it; the schools with
    # more teachers have more of them (one per five teachers at most).
    # Smallest first: what a small school cannot hold passes on to the bigger ones.
    hosts = sorted(
        (s for s in schools if len(teachers.get(s.pk, [])) >= 5),
        key=lambda s: (len(teachers[s.pk]), s.pk),
    )
    per_host = spread(total_of(Kind.STUDIO, Level.SCHOOL), [len(teachers[s.pk]) for s in hosts])
    # A school holds no more studios than it held activities in the last 90 days (one
    # at least): a studio of a school is active through its school's activities.
    recent_from = ctx.now - dt.timedelta(days=90)
    recent_held = Counter(
        Activity.objects.filter(
            progress.held_q(),
            org_unit_id__in=[s.pk for s in hosts],
            starts_at__gte=recent_from,
            starts_at__lte=ctx.now,
        ).values_list("org_unit_id", flat=True)
    )
    room = {s.pk: min(len(teachers[s.pk]) // 5, max(1, recent_held[s.pk])) for s in hosts}
    placed = {s.pk: min(k, room[s.pk]) for s, k in zip(hosts, per_host, strict=True)}
    spare = sum(per_host) - sum(placed.values())
    # What found no room goes first to schools with recent activities to spare, then to
    # the biggest schools with teachers to spare (those studios may stay idle).
    for limit in (room, {s.pk: len(teachers[s.pk]) // 5 for s in hosts}):
        for s in sorted(hosts, key=lambda s: placed[s.pk] - limit[s.pk]):
            if spare <= 0:
                break
            more = min(spare, limit[s.pk] - placed[s.pk])
            if more > 0:
                placed[s.pk] += more
                spare -= more
    for s in hosts:
        staff = teachers[s.pk]
        for lead in rng.sample(staff, placed[s.pk]):
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
                among=staff,
            )

    # The demo teacher is a member of a studio of their county.
    county = school_county.get(demo_teacher.org_unit_id) if demo_teacher is not None else None
    if county is not None:
        owner = institutes.get(county.pk, county)
        for c, ms in zip(communities, members, strict=True):
            if (c.kind, c.level, c.org_unit_id) == (Kind.STUDIO, Level.COUNTY, owner.pk):
                if all(p != demo_teacher.pk for p, _s, _r in ms):
                    ms.append((demo_teacher.pk, None, Membership.Role.CORE))
                break

    # --- the members of each kind, to the city's figures ---------------------------------
    # More members where the drawn communities hold too few, fewer where too many: a
    # person in at most two communities of a kind, a school in one consortium per level.
    taken: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for c, ms in zip(communities, members, strict=True):
        for p, school, _r in ms:
            taken[(c.kind, c.level if school else "")][p or school] += 1
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(communities):
        by_kind[c.kind].append(i)
    for kind, idx in by_kind.items():
        wanted = round(MEMBER_ROWS[kind] * factor * len(cities))
        have = sum(len(members[i]) for i in idx)
        tries = 0
        while have < wanted and tries < wanted * 20:
            tries += 1
            i = rng.choice(idx)
            c, ms = communities[i], members[i]
            if not pools[i]:
                continue
            who = rng.choice(pools[i])
            key = (kind, c.level if c.members_are_schools else "")
            limit = 1 if c.members_are_schools else 2
            if taken[key][who] >= limit or any(who in (p, sc) for p, sc, _r in ms):
                continue
            taken[key][who] += 1
            ms.append(
                (None, who, Membership.Role.MEMBER)
                if c.members_are_schools
                else (who, None, Membership.Role.MEMBER)
            )
            have += 1
        tries = 0
        while have > wanted and tries < have * 20:
            tries += 1
            i = rng.choice(idx)
            ms = members[i]
            if len(ms) <= 3:
                continue
            p, sc, _r = ms.pop(rng.randrange(1, len(ms)))  # never the leader (first)
            taken[(kind, communities[i].level if sc else "")][p or sc] -= 1
            have -= 1

    for c, ms in zip(communities, members, strict=True):
        c.member_count = len(ms)
    bulk.bulk_create(Community, communities)
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
                    kind=c.kind,
                    level=c.level,
                )
            )
    bulk.bulk_create(Membership, rows, batch_size=5000)

    # --- activities organised by communities ---------------------------------------------
    # About one in ten stays idle (no activity held in the last 90 days); every other one
    # first gets one of its owner's activities held in those days (while there are), then
    # a share of the rest of its owner's activities.
    now = ctx.now
    by_owner: dict[int, list[Community]] = defaultdict(list)
    for c in communities:
        if rng.random() >= IDLE_SHARE:
            by_owner[c.org_unit_id].append(c)
    recent: dict[int, list[int]] = defaultdict(list)
    other: dict[int, list[int]] = defaultdict(list)
    for aid, unit_id, starts, status, checked in Activity.objects.filter(
        org_unit_id__in=list(by_owner)
    ).values_list("pk", "org_unit_id", "starts_at", "status", "checked_in_count"):
        held = status in progress.HELD and checked > 0
        (recent if held and recent_from <= starts <= now else other)[unit_id].append(aid)
    assigned: list[Activity] = []
    left: dict[int, list[int]] = {}
    needy: list[Community] = []
    for unit_id, owned in by_owner.items():
        fresh = recent.get(unit_id, [])
        rng.shuffle(fresh)
        order = list(owned)
        rng.shuffle(order)
        for c, aid in zip(order, fresh, strict=False):
            assigned.append(Activity(pk=aid, community_id=c.pk))
        left[unit_id] = fresh[len(order) :]
        needy += order[len(fresh) :]
    # A community whose owner held too few lately (a city's many studios) holds one of
    # those held by the institutes and schools below its region.
    owners_under: dict[int, list[int]] = defaultdict(list)
    for unit_id in left:
        for pk in path_ids(by_pk[unit_id].path):
            owners_under[pk].append(unit_id)
    for c in needy:
        unit = by_pk[c.org_unit_id]
        if unit.kind == OrgUnit.Kind.SCHOOL:
            continue  # a school's studio holds its own school's activities
        region = unit.parent_id if unit.kind != OrgUnit.Kind.REGION else unit.pk
        for other_unit in owners_under.get(region, []):
            if left[other_unit]:
                assigned.append(Activity(pk=left[other_unit].pop(), community_id=c.pk))
                break
    for unit_id, owned in by_owner.items():
        for aid in left[unit_id] + other.get(unit_id, []):
            if rng.random() < 0.8:
                assigned.append(Activity(pk=aid, community_id=rng.choice(owned).pk))
    Activity.objects.bulk_update(assigned, ["community"], batch_size=2000)
    updates = {a.pk for a in assigned}

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
                    due_on=dt.date(year, 12, 15) if t.measure == Measure.EVIDENCE else None,
                )
            )
    bulk.bulk_create(CommunityTask, tasks, batch_size=5000)

    # --- a few shared files: the plan of the year in the first communities of each kind and
    # in the demo teacher's studio (the files are small; the others' workspaces are empty).
    sharing = [next(c for c in communities if c.kind == k) for k in counters]
    sharing += [
        c
        for c, ms in zip(communities, members, strict=True)
        if demo_teacher is not None and any(p == demo_teacher.pk for p, _s, _r in ms)
    ][:1]
    files = []
    for c in sharing:
        name = f"{c.name}{year}年度工作计划.txt"
        text = f"{c.name}{year}年度工作计划\n\n{c.goals}\n".encode()
        stored = default_storage.save(
            f"communities/files/{year}/{c.code}-plan.txt", ContentFile(text)
        )
        files.append(
            SharedFile(
                community_id=c.pk,
                file=stored,
                name=name[:200],
                size=len(text),
                uploader_name="演示数据",
                created_at=ctx.now,
            )
        )
    bulk.bulk_create(SharedFile, files)

    # --- the city bureaus' targets ------------------------------------------------------
    policies = []
    for city in cities:
        bureau = bureaus.get(city.pk)
        if bureau is None:
            continue
        policies += [
            KindPolicy(org_unit=bureau, kind=Kind.STUDIO, target_share=50, max_per_person=2),
            KindPolicy(org_unit=bureau, kind=Kind.CONSORTIUM, target_share=35, max_per_person=1),
            KindPolicy(org_unit=bureau, kind=Kind.PRINCIPAL, target_share=30, max_per_person=2),
        ]
    KindPolicy.objects.bulk_create(policies)
    per_kind = defaultdict(int)
    distinct = defaultdict(set)
    for c, ms in zip(communities, members, strict=True):
        per_kind[c.kind] += len(ms)
        distinct[c.kind].update(p or sc for p, sc, _r in ms)
    ctx.log(
        f"communities: {len(communities)} communities, {len(rows)} memberships "
        + ", ".join(
            f"{k} {counters[k]}/{per_kind[k]} rows/{len(distinct[k])} distinct" for k in counters
        )
        + f"; {len(updates)} activities organised by them"
    )
