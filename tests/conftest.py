"""Shared fixtures: the named people every test speaks of, and the browser.

The world (``world`` fixture) is a small real tree, built without mocks:

    陕西省 610000
    └── 渭南市 610500 (bureau 610500901, institute 610500902)
        ├── 临渭区 610502 (bureau, institute 610502902)
        │   └── 人民街道 610502001
        │       ├── 临渭区第一初级中学 6105020001   ← principal, teacher (math), counsellor
        │       └── 临渭区第二小学 6105020002
        └── 华州区 610503 (bureau 610503901)
            └── 华州区第一小学 6105030001           ← the outsider's district

People with accounts: ``city_admin`` (bureau admin of 渭南市), ``district_researcher``
(math researcher of 临渭区, employed by its institute), ``principal``, ``teacher``,
``counsellor`` (of 临渭区第一初级中学) and ``outsider`` (bureau admin of 华州区).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

import pytest
from django.test.utils import override_settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
)


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={
            "default": {"BACKEND": "jiaoyan.core.storage.AtomicFileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        MEDIA_ROOT=str(media),
        AXES_ENABLED=True,
    ):
        yield


@pytest.fixture
def chinese():
    """Code run outside a request (services, jobs) speaks zh-Hans, as the pages do; a
    module asks for it with ``pytestmark = pytest.mark.usefixtures("chinese")``."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: kept figures (home panels, long lists' counts)
    of one test's data must not answer in the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _reference_lists(request):
    """Stages and subjects (seeded by orgs migration 0002) before each database test.

    Live-server tests need committed data (transactional tests), and Django empties every
    table after such a test, including what data migrations seeded. Serialized rollback
    would restore it, but the connection it is kept on does not survive a Playwright test
    reliably, so the lists are seeded again where they are missing.
    """
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    else:
        return
    from jiaoyan.core import reference
    from jiaoyan.orgs.models import Stage

    if not Stage.objects.exists():
        reference.reseed()


@dataclass
class World:
    units: dict = field(default_factory=dict)
    schools: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def __getattr__(self, name):
        for bag in ("users", "units", "schools", "people"):
            d = object.__getattribute__(self, bag)
            if name in d:
                return d[name]
        raise AttributeError(name)


def make_unit(code, name, parent, level, kind="region"):
    from jiaoyan.orgs.models import OrgUnit
    from jiaoyan.orgs.services import set_path

    unit = OrgUnit.objects.create(code=code, name=name, parent=parent, level=level, kind=kind)
    set_path(unit)
    return unit


def make_school(
    code,
    name,
    parent,
    *,
    kind="primary",
    stages=("primary",),
    location="urban",
    students=500,
    teachers=40,
):
    from jiaoyan.orgs.models import School, Stage

    unit = make_unit(code, name, parent, "school", "school")
    school = School.objects.create(
        org_unit=unit,
        kind=kind,
        location=location,
        student_count=students,
        teacher_count=teachers,
        address="某路1号",
    )
    school.stages.set(Stage.objects.filter(code__in=stages))
    return school


def make_person(
    staff_no,
    name,
    unit,
    *,
    role=None,
    scope=None,
    subjects=(),
    stages=(),
    username=None,
    phone="13800000000",
    gender="female",
):
    from jiaoyan.orgs.models import Stage, Subject
    from jiaoyan.people.models import Person, RoleAssignment, User

    user = None
    if username:
        user = User.objects.create_user(username=username, password="jiaoyan-demo")
    person = Person.objects.create(
        staff_no=staff_no,
        name=name,
        org_unit=unit,
        phone=phone,
        gender=gender,
        user=user,
        professional_title="first",
    )
    if role:
        ra = RoleAssignment.objects.create(
            person=person, role=role, org_unit=scope or unit.scope_root
        )
        ra.subjects.set(Subject.objects.filter(name__in=subjects))
        ra.stages.set(Stage.objects.filter(code__in=stages))
    return person


@pytest.fixture
def world(db) -> World:
    w = World()
    u = w.units
    u["province"] = make_unit("610000", "陕西省", None, "province")
    u["city"] = make_unit("610500", "渭南市", u["province"], "city")
    u["city_bureau"] = make_unit("610500901", "渭南市教育局", u["city"], "city", "bureau")
    u["city_institute"] = make_unit("610500902", "渭南市教学研究室", u["city"], "city", "institute")
    u["linwei"] = make_unit("610502", "临渭区", u["city"], "county")
    u["linwei_bureau"] = make_unit("610502901", "临渭区教育局", u["linwei"], "county", "bureau")
    u["linwei_institute"] = make_unit(
        "610502902", "临渭区教师发展中心", u["linwei"], "county", "institute"
    )
    u["renmin"] = make_unit("610502001", "人民街道", u["linwei"], "town")
    u["huazhou"] = make_unit("610503", "华州区", u["city"], "county")
    u["huazhou_bureau"] = make_unit("610503901", "华州区教育局", u["huazhou"], "county", "bureau")
    s = w.schools
    s["school_a"] = make_school(
        "6105020001",
        "临渭区第一初级中学",
        u["renmin"],
        kind="junior",
        stages=("junior",),
        students=900,
        teachers=60,
    )
    s["school_b"] = make_school(
        "6105020002", "临渭区第二小学", u["renmin"], location="rural", students=200, teachers=15
    )
    s["school_c"] = make_school(
        "6105030001", "华州区第一小学", u["huazhou"], students=300, teachers=20
    )
    a, b, c = (s[k].org_unit for k in ("school_a", "school_b", "school_c"))
    p = w.people
    p["city_admin"] = make_person(
        "A001",
        "王局长",
        u["city_bureau"],
        role="bureau_admin",
        username="city_admin",
        phone="13900000001",
    )
    p["district_researcher"] = make_person(
        "R001",
        "韩梅",
        u["linwei_institute"],
        role="researcher",
        subjects=["数学"],
        stages=["junior"],
        username="district_researcher",
        phone="13900000002",
    )
    p["principal"] = make_person(
        "T001", "李校长", a, role="principal", username="principal", phone="13900000003"
    )
    p["teacher"] = make_person(
        "T002",
        "张老师",
        a,
        role="teacher",
        subjects=["数学"],
        stages=["junior"],
        username="teacher",
        phone="13900000004",
    )
    p["counsellor"] = make_person(
        "T003",
        "周晓",
        a,
        role="counsellor",
        subjects=["心理健康"],
        username="counsellor",
        phone="13900000005",
    )
    p["teacher_b"] = make_person(
        "T101",
        "刘老师",
        b,
        role="teacher",
        subjects=["语文"],
        stages=["primary"],
        phone="13900000006",
    )
    p["outsider"] = make_person(
        "H001",
        "赵主任",
        u["huazhou_bureau"],
        role="bureau_admin",
        username="outsider",
        phone="13900000007",
    )
    p["teacher_c"] = make_person(
        "H101",
        "陈老师",
        c,
        role="teacher",
        subjects=["数学"],
        stages=["primary"],
        phone="13900000008",
    )
    for key, person in p.items():
        if person.user_id:
            w.users[key] = person.user
    from jiaoyan.people.models import User

    w.users["superuser"] = User.objects.create_superuser("root", password="root-password-1")
    return w


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a test client logged in as ``user``."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for(world):
    """``api_for(user)``: a client sending a fresh bearer token of ``user``."""
    from django.test import Client

    from jiaoyan.people.services import create_token

    def make(user):
        _t, raw = create_token(actor=user, name="test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


# --- browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: browser tests skipped (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright):
    b = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    )
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def login(live_server):
    def do(pg, username, password="jiaoyan-demo"):
        pg.goto(f"{live_server.url}/accounts/login/")
        pg.fill("#id_username", username)
        pg.fill("#id_password", password)
        pg.click("button[type=submit]")
        pg.wait_for_url(f"{live_server.url}/")
        return pg

    return do


def pytest_collection_modifyitems(config, items):
    if CHROMIUM is None:
        skip = pytest.mark.skip(reason="Chromium not installed: browser test skipped")
        n = 0
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)
                n += 1
        if n:
            config.issue_config_time_warning(
                pytest.PytestWarning(f"{n} browser tests skipped: chromium not found"), 2
            )
