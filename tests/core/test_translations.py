"""The UI is Chinese: every app's catalogue is complete, compiled and consistent, and the
pages people use show no English.

Catalogues: for every app under src/jiaoyan/ with a ``locale/zh_Hans`` catalogue — no
untranslated or fuzzy entry; the committed ``.mo`` says exactly what the ``.po`` says;
zh_Hant has the same message ids; placeholders survive translation; a message id means
the same in every app (Django merges the apps' catalogues, so only one translation of it
can win); and the catalogue holds every message the code and templates use (re-extracted
with ``makemessages`` into a scratch folder, when GNU gettext is installed).

Pages: the named people's everyday pages, rendered in the default language, contain no
English words apart from a few product names; zh-Hant and English are selectable by the
language cookie.
"""

from __future__ import annotations

import datetime as dt
import gettext
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

import jiaoyan

PKG = Path(jiaoyan.__file__).resolve().parent
APPS = sorted(
    p.name
    for p in PKG.iterdir()
    if (p / "apps.py").exists() and (p / "locale/zh_Hans/LC_MESSAGES/django.po").exists()
)
LANGS = ["zh_Hans", "zh_Hant"]


def _po(app: str, lang: str = "zh_Hans") -> polib.POFile:
    return polib.pofile(str(PKG / app / f"locale/{lang}/LC_MESSAGES/django.po"))


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _label(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def test_the_core_apps_have_catalogues():
    assert {"core", "orgs", "people"} <= set(APPS)


# --- catalogues --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("app", APPS)
def test_catalogue_is_complete(app, lang):
    po = _po(app, lang)
    untranslated = [_label(e) for e in po.untranslated_entries()]
    fuzzy = [_label(e) for e in po.fuzzy_entries()]
    assert not untranslated, f"{app}/{lang}: untranslated: {untranslated}"
    assert not fuzzy, f"{app}/{lang}: fuzzy: {fuzzy}"
    obsolete = [_label(e) for e in po.obsolete_entries()]
    assert not obsolete, f"{app}/{lang}: obsolete entries left in the catalogue: {obsolete}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("app", APPS)
def test_compiled_catalogue_matches_po(app, lang):
    """The committed .mo is what the .po says (rerun scripts/i18n.py after editing)."""
    po = _po(app, lang)
    mo_path = PKG / app / f"locale/{lang}/LC_MESSAGES/django.mo"
    with mo_path.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    catalog = dict(mo._catalog)  # the parsed .mo: {msgid or (msgid, n): msgstr}
    catalog.pop("", None)  # the header
    expected = {}
    for e in po.translated_entries():
        msgid = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
        if e.msgid_plural:
            for n, text in e.msgstr_plural.items():
                expected[(msgid, int(n))] = text
        else:
            expected[msgid] = e.msgstr
    stale = {k: (catalog.get(k), v) for k, v in expected.items() if catalog.get(k) != v}
    assert not stale, f"{app}/{lang}: .mo differs from .po (mo, po): {stale}"
    extra = set(catalog) - set(expected)
    assert not extra, f"{app}/{lang}: .mo has messages the .po does not: {sorted(extra)}"
    assert mo.plural(5) == 0, "Chinese has one plural form (nplurals=1; plural=0)"


@pytest.mark.parametrize("app", APPS)
def test_traditional_catalogue_has_the_same_messages(app):
    hans = {_key(e) for e in _po(app, "zh_Hans")}
    hant = {_key(e) for e in _po(app, "zh_Hant")}
    assert hans == hant, (
        f"{app}: only zh_Hans: {sorted(map(str, hans - hant))}; "
        f"only zh_Hant: {sorted(map(str, hant - hans))}"
    )


PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}")


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("app", APPS)
def test_placeholders_survive_translation(app, lang):
    wrong = []
    for e in _po(app, lang).translated_entries():
        if e.msgid_plural:
            wanted = _placeholders(e.msgid_plural) | _placeholders(e.msgid)
            for text in e.msgstr_plural.values():
                # One Chinese form stands for singular and plural: it may use the count
                # (%(counter)s) even where the English singular does not.
                if _placeholders(text) - wanted or wanted - _placeholders(text):
                    wrong.append((e.msgid, text))
        elif _placeholders(e.msgstr) != _placeholders(e.msgid):
            wrong.append((e.msgid, e.msgstr))
    assert not wrong, f"{app}/{lang}: placeholders differ: {wrong}"


def test_a_message_id_means_the_same_in_every_app():
    """Django merges all apps' catalogues: a shared message id gets ONE translation (the
    first app's in INSTALLED_APPS). Different meanings need a context (pgettext)."""
    seen: dict[tuple, tuple[str, str]] = {}
    clashes = []
    for app in APPS:
        for e in _po(app).translated_entries():
            text = e.msgstr or json.dumps(e.msgstr_plural, ensure_ascii=False, sort_keys=True)
            first = seen.setdefault(_key(e), (app, text))
            if first[1] != text:
                clashes.append((_label(e), first, (app, text)))
    assert not clashes, f"one message id, different translations: {clashes}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize("app", APPS)
def test_catalogue_holds_every_message_in_use(app, tmp_path):
    """Re-extract the app's messages into a scratch copy: nothing new may turn up (a string
    wrapped for translation but never extracted stays English in every language)."""
    copy = tmp_path / app
    shutil.copytree(
        PKG / app, copy, ignore=shutil.ignore_patterns("locale", "static", "__pycache__")
    )
    (copy / "locale").mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--ignore",
            "migrations/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "jiaoyan.settings"},
    )
    fresh = {_key(e) for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    committed = {_key(e) for e in _po(app)}
    missing = sorted(map(str, fresh - committed))
    unused = sorted(map(str, committed - fresh))
    assert not missing, f"{app}: run scripts/i18n.py and translate: {missing}"
    assert not unused, f"{app}: no longer used (run scripts/i18n.py): {unused}"


# --- rendered pages -----------------------------------------------------------------------

# Words that may appear in a Chinese page: product and format names, the language menu.
ALLOWED_WORDS = {"API", "Excel", "CSV", "OpenDocument", "UTF", "GB", "MB", "English"}
VISIBLE_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-confirm", "data-copied")


def _chart_texts(option: dict) -> list[str]:
    """What a person reads on an ECharts chart built by jiaoyan.core.charts."""
    texts = [option.get("title", {}).get("text", "")]
    for axis in ("xAxis", "yAxis"):
        texts += [str(v) for v in option.get(axis, {}).get("data", [])]
    for series in option.get("series", []):
        texts.append(series.get("name", ""))
        texts += [d.get("name", "") for d in series.get("data", []) if isinstance(d, dict)]
    return texts


def visible_text(page: str) -> str:
    """The page's text as a person meets it: text nodes, labels in attributes, charts."""
    parts = []
    for attr in VISIBLE_ATTRIBUTES:
        parts += re.findall(rf'\s{attr}="([^"]*)"', page)
    for blob in re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', page, re.S):
        parts += _chart_texts(json.loads(blob))
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    parts.append(body)
    return html.unescape(" ".join(parts))


def english_words(text: str, data: set[str] = frozenset()) -> list[str]:
    """Words of Latin letters, other than the allowed names and ``data`` (user names);
    identifiers (with digits or an underscore, such as codes) and file extensions (.xlsx)
    are data, not UI text."""
    words = []
    for token in re.findall(r"[A-Za-z0-9_@.+\-]*[A-Za-z][A-Za-z0-9_@.+\-]*", text):
        if token.startswith("."):
            continue
        token = token.strip(".-+")
        if not token.isalpha() or token in ALLOWED_WORDS or token in data:
            continue
        words.append(token)
    return words


@pytest.fixture
def audited_world(world, django_capture_on_commit_callbacks):
    """The world plus history written through services, so pages show audit rows, and a
    rejected import, so the import page shows its report."""
    from jiaoyan.core.imports import start_import
    from jiaoyan.orgs.models import Stage
    from jiaoyan.orgs.services import create_school
    from jiaoyan.people.services import add_honour, assign_role, update_person

    admin = world.city_admin
    create_school(
        actor=admin,
        parent=world.renmin,
        code="6105020009",
        name="临渭区第九小学",
        kind="primary",
        location="township",
        stages=Stage.objects.filter(code="primary"),
        is_weak=True,
        student_count=320,
        teacher_count=25,
        address="人民路9号",
    )
    teacher = world.people["teacher"]
    update_person(actor=admin, person=teacher, data={"name": "张老师", "phone": "13911112222"})
    add_honour(actor=admin, person=teacher, title="key_teacher", level="city", year=2021)
    assign_role(actor=admin, person=world.people["teacher_b"], role="principal")
    bad_sheet = "学校代码,学校名称,所属区划代码,办学类型,城乡类型\n,某小学,610502001,小学,城镇\n"
    with django_capture_on_commit_callbacks(execute=True):
        start_import(actor=admin, kind="schools", filename="学校.csv", data=bad_sheet.encode())
    return world


def _pages(w) -> dict[str, str]:
    from jiaoyan.core.models import ImportJob
    from jiaoyan.orgs.models import School

    new_school = School.objects.get(org_unit__code="6105020009")
    job = ImportJob.objects.get()
    return {
        "home": reverse("home"),
        "org tree": reverse("orgs:tree"),
        "unit list": reverse("orgs:unit_list"),
        "unit": reverse("orgs:unit_detail", args=[w.linwei.pk]),
        "school list": reverse("orgs:school_list"),
        "school": reverse("orgs:school_detail", args=[new_school.pk]),
        "school form": reverse("orgs:school_edit", args=[new_school.pk]),
        "people list": reverse("people:person_list"),
        "person": reverse("people:person_detail", args=[w.people["teacher"].pk]),
        "person form": reverse("people:person_create"),
        "import": reverse("core:import_new"),
        "imports": reverse("core:import_list"),
        "import job": job.get_absolute_url(),
        "audit log": reverse("core:audit_list"),
        "my account": reverse("account:me"),
        "notifications": reverse("core:notification_list"),
    }


def test_pages_show_no_english(audited_world, client_for):
    from jiaoyan.people.models import User

    client = client_for(audited_world.city_admin)
    usernames = set(User.objects.values_list("username", flat=True))
    found = {}
    for name, url in _pages(audited_world).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        words = english_words(visible_text(response.content.decode()), usernames)
        if words:
            found[name] = sorted(set(words))
    assert not found, f"English on Chinese pages: {found}"


def test_pages_show_the_chinese_labels(audited_world, client_for):
    client = client_for(audited_world.city_admin)
    pages = _pages(audited_world)
    expected = {
        "home": ["教研平台", "首页", "学校", "在职人员", "学校城乡分布", "职称分布"],
        "org tree": ["组织机构树", "单位列表", "学校列表"],
        "school list": ["学校", "导出", "办学类型", "城乡类型", "薄弱"],
        "school": ["学校概况", "在职教职工", "变更记录", "学校代码", "新增"],
        "people list": ["人员", "导出", "工号", "姓名", "职称", "骨干教师（市级，2021）"],
        "person": ["荣誉称号", "角色", "手机号", "一级"],
        "import": ["新建导入", "导入方式", "上传并检查", "学校", "人员"],
        "imports": ["数据导入", "学校", "未通过（发现错误）"],
        "import job": ["行号", "列名", "学校代码", "不能为空", "“城镇”不是可选值", "下载错误报告"],
        "audit log": ["操作日志", "王局长", "学段: 小学", "手机号: 139****0004 → 139****2222"],
    }
    for name, labels in expected.items():
        text = visible_text(client.get(pages[name]).content.decode())
        missing = [label for label in labels if label not in text]
        assert not missing, f"{name}: missing {missing}"


def test_login_page_is_chinese(client, db):
    text = visible_text(client.get(reverse("login")).content.decode())
    assert "登录" in text and "教研平台" in text
    assert not english_words(text)


def test_error_pages_are_chinese(world, client_for):
    client = client_for(world.city_admin)
    text = visible_text(client.get("/orgs/units/999999/").content.decode())
    assert "未找到" in text and not english_words(text)
    with translation.override("zh-hans"):
        from django.template.loader import render_to_string

        page = render_to_string("500.html", {"request_id": "abc123"})
    assert "服务器出错了" in page and "abc123" in page


def _home_in(client, lang: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response["Content-Language"] == lang
    return visible_text(response.content.decode())


def test_language_cookie_selects_traditional_chinese(world, client_for):
    text = _home_in(client_for(world.city_admin), "zh-hant")
    assert "學校" in text and "首頁" in text and "教研平臺" in text
    assert "学校" not in text and "首页" not in text


def test_language_cookie_selects_english(world, client_for):
    text = _home_in(client_for(world.city_admin), "en")
    assert "Schools" in text and "Home" in text and "Jiaoyan" in text
    assert "首页" not in text


# --- messages that are composed --------------------------------------------------------


def test_import_errors_read_as_chinese_sentences(world):
    from jiaoyan.core.sheets import run_import
    from jiaoyan.orgs.sheets import SchoolSheet

    data = (
        "学校代码,学校名称,所属区划代码,办学类型,城乡类型,学生数,是否薄弱学校\n"
        ",某小学,610502001,小学,城区,-5,是\n"
        "6105020077,某中学,610502001,高小,城区,12.5,可能\n"
    ).encode()
    with translation.override("zh-hans"):
        result = run_import(SchoolSheet(), data, "schools.csv", dry_run=True)
        messages = [str(e) for e in result.errors]
    assert messages == [
        "第2行「学校代码」：不能为空",
        "第2行「学生数」：不能为负数",
        "第3行「办学类型」：“高小”不是可选值，可选：幼儿园、小学、初级中学、高级中学、"
        "九年一贯制学校、十二年一贯制学校、完全中学、中等职业学校、特殊教育学校、教学点、其他",
        "第3行「是否薄弱学校」：只能填“是”或“否”",
        "第3行「学生数」：不是整数",
    ]


def test_api_input_errors_are_chinese(world, api_for):
    api = api_for(world.city_admin)
    response = api.post(
        "/api/v1/org-units",
        data={"name": "新区", "parent": "not a number"},
        content_type="application/json",
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    by_field = {e["loc"][-1]: e for e in detail}
    assert by_field["code"]["type"] == "missing"
    assert by_field["code"]["msg"] == "此项为必填项。"
    assert by_field["parent"]["msg"] == "应为整数。"
    bad_body = api.post("/api/v1/org-units", data="{", content_type="application/json")
    assert bad_body.status_code == 400
    assert bad_body.json()["detail"] == "无法读取请求体（不是有效的 JSON）。"


# --- one English word, several meanings -------------------------------------------------
#
# Django merges every app's catalogue, so a message id without a context has ONE Chinese
# text everywhere. Words that mean different things in different apps carry a context
# (pgettext); these tests pin each meaning to its Chinese so that a later "unification" of
# the catalogues cannot put an import's wording on an activity page again.

SAME_WORD_DIFFERENT_MEANINGS = [
    # (context, message id, Chinese)
    ("activity", "Mode", "形式"),  # 现场 / 线上 / 现场+视频
    ("import", "Mode", "导入方式"),  # all or nothing / valid rows only / check only
    ("S-T analysis", "Mode", "教学模式"),  # 练习型 / 讲授型 / 对话型 / 混合型
    ("activity", "title", "活动名称"),
    ("activity", "Title", "活动名称"),
    (None, "title", "标题"),  # a notification's, a plan's or a material's title
    ("activity", "Description", "活动说明"),
    (None, "Description", "说明"),  # a rubric's or a lesson round's description
    ("activity", "description", "活动说明"),
    (None, "description", "说明"),
    ("material", "When", "使用阶段"),  # before / after the activity
    (None, "When", "时间"),  # when an import ran
    ("activity level", "City", "市级"),
    ("activity level", "County", "县（区）级"),
    ("activity level", "Town", "镇（街道）级"),
    ("activity level", "School", "校级"),
    (None, "City", "市"),  # kinds of org unit
    (None, "Town", "镇（街道）"),
    (None, "School", "学校"),
    (None, "County", "县（区）"),  # a county column of an exam's figures
    ("role", "Teachers", "教师"),  # whom to invite
    (None, "Teachers", "教师数"),  # a school's head count
    (None, "All kinds", "全部类型"),  # activities, observations, exams
    ("school kind", "All kinds", "全部办学类型"),
    ("rubric", "Retired", "已停用"),
    (None, "Retired", "退休"),  # a person's status
    ("stat group", "level", "层级"),  # whole exam / county / school / class
    (None, "level", "级别"),
    ("exam", "Absent", "缺考"),
    (None, "Absent", "缺席"),  # from an activity
    ("count", "Schools", "学校数"),
    (None, "Schools", "学校"),
    ("permission", "active", "有效"),
    ("person", "Name", "姓名"),
    (None, "Name", "名称"),
]


@pytest.mark.parametrize(("context", "msgid", "chinese"), SAME_WORD_DIFFERENT_MEANINGS)
def test_each_meaning_of_a_word_has_its_own_chinese(context, msgid, chinese):
    with translation.override("zh-hans"):
        text = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
    assert text == chinese


def test_activity_pages_use_activity_wording(world, client_for):
    from jiaoyan.activities import services
    from jiaoyan.activities.models import Activity

    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2)
    activity = services.create_activity(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        title="初中数学集体备课",
        kind=Activity.Kind.LESSON_PREP,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        mode=Activity.Mode.HYBRID,
        hours=3,
        venue_name="区教师发展中心报告厅",
        venue_address="临渭区人民路1号",
        venue_capacity=100,
    )
    client = client_for(world.users["district_researcher"])

    def page(name: str, *args) -> str:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        return visible_text(response.content.decode())

    detail = page("activities:detail", activity.pk)
    assert "形式" in detail and "县（区）级" in detail
    assert "导入方式" not in detail

    form = page("activities:edit", activity.pk)
    for label in ("活动名称", "形式", "活动说明"):
        assert label in form, label
    assert "导入方式" not in form

    listing = page("activities:list")
    for label in ("活动名称", "全部类型", "市级", "镇（街道）级", "校级"):
        assert label in listing, label
    assert "全部办学类型" not in listing

    material = page("activities:material_add", activity.pk)
    assert "使用阶段" in material

    # The same English words keep their other meanings on the other apps' pages.
    assert "导入方式" in page("core:import_new")
    schools = page("orgs:school_list")
    assert "全部办学类型" in schools and "教师数" in schools
