"""Demo org tree: 陕西省 › cities › real counties › generated towns › schools, with each
region's bureau and teaching-research institute. The mix of school kinds, locations and
sizes follows a Chinese city: many small rural primary schools and kindergartens, fewer
and larger urban junior and senior schools."""

from __future__ import annotations

from django.core.management.color import no_style
from django.db import connection

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step, weighted

from .geo import CITIES, PROVINCE, SMALL_COUNTIES, TOWN_STEMS, VILLAGE_STEMS, chinese_number
from .models import OrgUnit, School, Stage

Kind = School.Kind
Loc = School.Location

# (kind, share of schools, stage codes, (students min, max) by location urban/township/rural)
SCHOOL_MIX = [
    (
        Kind.KINDERGARTEN,
        0.26,
        ["preschool"],
        {"urban": (180, 520), "township": (90, 300), "rural": (25, 120)},
    ),
    (
        Kind.PRIMARY,
        0.44,
        ["primary"],
        {"urban": (900, 2800), "township": (300, 1100), "rural": (40, 320)},
    ),
    (
        Kind.TEACHING_POINT,
        0.04,
        ["primary"],
        {"urban": (40, 80), "township": (20, 60), "rural": (8, 40)},
    ),
    (
        Kind.JUNIOR,
        0.12,
        ["junior"],
        {"urban": (900, 2400), "township": (400, 1200), "rural": (150, 500)},
    ),
    (
        Kind.NINE_YEAR,
        0.07,
        ["primary", "junior"],
        {"urban": (1200, 3000), "township": (500, 1500), "rural": (200, 700)},
    ),
    (
        Kind.SENIOR,
        0.04,
        ["senior"],
        {"urban": (1500, 4000), "township": (900, 2500), "rural": (600, 1500)},
    ),
    (
        Kind.COMPLETE_SECONDARY,
        0.02,
        ["junior", "senior"],
        {"urban": (1800, 4500), "township": (1000, 2800), "rural": (700, 1800)},
    ),
    (
        Kind.SPECIAL,
        0.01,
        ["primary", "junior"],
        {"urban": (60, 200), "township": (40, 120), "rural": (20, 80)},
    ),
]
LOCATION_SHARE = [(Loc.URBAN, 0.3), (Loc.TOWNSHIP, 0.32), (Loc.RURAL, 0.38)]
STREETS = ["人民路", "建设路", "文化路", "学府路", "育才路", "东风路"]
SUFFIX = {
    Kind.KINDERGARTEN: "幼儿园",
    Kind.PRIMARY: "小学",
    Kind.TEACHING_POINT: "教学点",
    Kind.JUNIOR: "初级中学",
    Kind.NINE_YEAR: "学校",
    Kind.SENIOR: "高级中学",
    Kind.COMPLETE_SECONDARY: "中学",
    Kind.SPECIAL: "特殊教育学校",
}


class TreeBuilder:
    """Builds units with ids chosen here, so every path is known before the insert."""

    def __init__(self) -> None:
        self.units: list[OrgUnit] = []
        self.next_id = 1

    def add(self, code, name, parent, level, kind) -> OrgUnit:
        pk = self.next_id
        self.next_id += 1
        path = (parent.path if parent else "/") + f"{pk}/"
        unit = OrgUnit(
            id=pk,
            code=code,
            name=name,
            parent=parent,
            level=level,
            kind=kind,
            path=path,
            depth=path.count("/") - 2,
        )
        self.units.append(unit)
        return unit


@step(5)
def reference_lists(ctx: DemoContext) -> None:
    """Stages, subjects and every app's other reference data. Data migrations seed them,
    but ``demo --force`` flushes every table first, and the steps below need them."""
    from jiaoyan.core import reference

    reference.reseed()


@step(10)
def build_tree(ctx: DemoContext) -> None:
    rng = ctx.rng
    scale = ctx.scale
    tb = TreeBuilder()
    L, K = OrgUnit.Level, OrgUnit.Kind
    province = tb.add(PROVINCE[0], PROVINCE[1], None, L.PROVINCE, K.REGION)
    tb.add("610000901", "陕西省教育厅", province, L.PROVINCE, K.BUREAU)
    tb.add("610000902", "陕西省教育科学研究院", province, L.PROVINCE, K.INSTITUTE)
    stage_ids = dict(Stage.objects.values_list("code", "pk"))
    school_specs: list[tuple[OrgUnit, School, list[int]]] = []
    cities, counties_by_city = [], {}
    for city_code, city_name, _size, counties in CITIES[: scale.cities]:
        city = tb.add(city_code, city_name, province, L.CITY, K.REGION)
        cities.append(city)
        tb.add(f"{city_code}901", f"{city_name}教育局", city, L.CITY, K.BUREAU)
        tb.add(f"{city_code}902", f"{city_name}教学研究室", city, L.CITY, K.INSTITUTE)
        if scale.name == "small":
            counties = [c for c in counties if c[0] in SMALL_COUNTIES]
        elif scale.counties:
            counties = counties[: scale.counties]
        total_size = sum(c[2] for c in counties)
        # About 3% of a city's schools are run by the city itself (市直学校).
        city_direct = max(2, round(scale.schools_per_city * 0.03))
        remaining = scale.schools_per_city - city_direct
        county_units = []
        seq = {city_code: 0}
        for i in range(city_direct):
            kind = [Kind.SENIOR, Kind.PRIMARY, Kind.JUNIOR, Kind.COMPLETE_SECONDARY][i % 4]
            name = {
                Kind.SENIOR: f"{city_name[:-1]}{chinese_number(i // 4 + 1)}高级中学",
                Kind.PRIMARY: f"{city_name}实验小学"
                if i < 4
                else f"{city_name}第{chinese_number(i // 4 + 1)}实验小学",
                Kind.JUNIOR: f"{city_name}第{chinese_number(i // 4 + 1)}初级中学",
                Kind.COMPLETE_SECONDARY: f"{city_name}第{chinese_number(i // 4 + 1)}中学",
            }[kind]
            school_specs.append(
                _school(ctx, tb, city, city_code, seq, name, kind, Loc.URBAN, stage_ids)
            )
        allotted = 0
        for idx, (code, cname, size) in enumerate(counties):
            county = tb.add(code, cname, city, L.COUNTY, K.REGION)
            county_units.append(county)
            tb.add(f"{code}901", f"{cname}教育局", county, L.COUNTY, K.BUREAU)
            institute = "教师发展中心" if idx % 2 == 0 else "教学研究室"
            tb.add(f"{code}902", f"{cname}{institute}", county, L.COUNTY, K.INSTITUTE)
            if idx == len(counties) - 1:
                n_schools = remaining - allotted
            else:
                n_schools = round(remaining * size / total_size)
            allotted += n_schools
            n_towns = max(3, min(20, n_schools // 9))
            stems = rng.sample(TOWN_STEMS, k=min(n_towns, len(TOWN_STEMS)))
            towns = []
            for t, stem in enumerate(stems):
                street = t < max(1, n_towns // 4)
                tcode = f"{code}{(t + 1):03d}" if street else f"{code}{(100 + t):03d}"
                towns.append(
                    tb.add(tcode, stem + ("街道" if street else "镇"), county, L.TOWN, K.REGION)
                )
            seq[code] = 0
            counters: dict[str, int] = {}
            for _n in range(n_schools):
                kind = weighted(rng, [(k, share) for k, share, _s, _r in SCHOOL_MIX])
                location = weighted(rng, LOCATION_SHARE)
                if kind in (Kind.SENIOR, Kind.COMPLETE_SECONDARY) and location == Loc.RURAL:
                    location = Loc.TOWNSHIP
                if location == Loc.URBAN:
                    parent = county if rng.random() < 0.5 else towns[0]
                    counters[kind] = counters.get(kind, 0) + 1
                    n = counters[kind]
                    if n == 1 and kind in (Kind.PRIMARY, Kind.KINDERGARTEN):
                        name = f"{cname}实验{SUFFIX[kind]}"
                    else:
                        name = f"{cname}第{chinese_number(min(n, 99))}{SUFFIX[kind]}"
                        if n > 99:
                            name = f"{cname}城区{n}号{SUFFIX[kind]}"
                else:
                    parent = rng.choice(towns)
                    town_stem = parent.name.removesuffix("街道").removesuffix("镇")
                    if location == Loc.TOWNSHIP and rng.random() < 0.6:
                        name = f"{cname}{town_stem}中心{SUFFIX[kind]}"
                    else:
                        village = rng.choice(VILLAGE_STEMS)
                        name = f"{cname}{town_stem}{village}{SUFFIX[kind]}"
                school_specs.append(
                    _school(ctx, tb, parent, code, seq, name, kind, location, stage_ids)
                )
        counties_by_city[city.pk] = county_units

    # Names must read as unique within a county; add a number where chance repeated one.
    seen: dict[str, int] = {}
    for unit, _school_obj, _st in school_specs:
        if unit.name in seen:
            seen[unit.name] += 1
            unit.name = (
                f"{unit.name.removesuffix(SUFFIX.get(_school_obj.kind, ''))}"
                f"{seen[unit.name]}号{SUFFIX.get(_school_obj.kind, '')}"
            )
        else:
            seen[unit.name] = 1

    bulk.bulk_create(OrgUnit, tb.units)
    bulk.bulk_create(School, [s for _u, s, _st in school_specs])
    Through = School.stages.through
    bulk.bulk_create(
        Through,
        [Through(school_id=u.pk, stage_id=sid) for u, _s, st in school_specs for sid in st],
        batch_size=5000,
    )
    _reset_sequences([OrgUnit])
    ctx.data["province"] = province
    ctx.data["cities"] = cities
    ctx.data["counties"] = counties_by_city
    ctx.data["units"] = tb.units
    ctx.data["schools"] = school_specs
    ctx.log(f"  单位 {len(tb.units)} 个，其中学校 {len(school_specs)} 所")


def _school(ctx, tb, parent, code_prefix, seq, name, kind, location, stage_ids):
    rng = ctx.rng
    seq[code_prefix] += 1
    code = f"{code_prefix}{seq[code_prefix]:04d}"
    unit = tb.add(code, name, parent, OrgUnit.Level.SCHOOL, OrgUnit.Kind.SCHOOL)
    spec = next(s for s in SCHOOL_MIX if s[0] == kind)
    lo, hi = spec[3][location]
    students = rng.randint(lo, hi)
    ratio = 11 if kind == Kind.KINDERGARTEN else (9 if kind == Kind.SPECIAL else 14)
    teachers = max(3, round(students / ratio * rng.uniform(0.85, 1.15)))
    weak_chance = {Loc.URBAN: 0.03, Loc.TOWNSHIP: 0.08, Loc.RURAL: 0.18}[location]
    school = School(
        org_unit=unit,
        kind=kind,
        location=location,
        is_weak=rng.random() < weak_chance,
        student_count=students,
        teacher_count=teachers,
        address=f"{parent.name}{rng.choice(STREETS)}{rng.randint(1, 300)}号",
    )
    return unit, school, [stage_ids[c] for c in spec[2]]


def _reset_sequences(models) -> None:
    sql = connection.ops.sequence_reset_sql(no_style(), models)
    if sql:
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
