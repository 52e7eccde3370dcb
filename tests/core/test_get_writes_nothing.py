"""GET never writes (issue 10, finding 6): every page the URL resolver knows and every GET
operation of the OpenAPI document is requested, with real ids, by several roles — and no
table gains or loses a row, nor does any statement insert, update or delete. Polling reads
state; work is started by a POST (value-added pairs, a report's .docx, marking a
notification read) or by the scheduler (the ledger's reminders).

The ids come from the scope cases (tests/<app>/scope_cases.py, one row of every scoped
model): a case's page and API URLs teach which id each route's parameters take. A route
or operation whose parameters cannot be filled fails the test, so a new module's pages
are covered as soon as they exist (give it a scope case, or a value in ``BY_NAME`` /
``PK_OF`` below).

The only rows a GET may add or change are listed in ``ALLOWED`` and ``WRITES_ALLOWED``: a
log-in's session, the audit rows of a read of restricted data (``view``/``export`` — the
read itself is the event), an API token's "last used" stamp, and the one pending hit
row a resource's page or file download appends to count the view (``INSERTS_ALLOWED``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from jiaoyan.core.api import api as ninja_api
from jiaoyan.core.models import Job
from jiaoyan.hours import certificates
from jiaoyan.hours.certificates import ZIP_JOB
from jiaoyan.quality.indicators import BY_KEY
from jiaoyan.wellbeing.services import answer_token
from tests.scope_cases import CASES, load_all

load_all()

USERS = ["superuser", "city_admin", "outsider", "principal", "teacher"]
# URLs that answer 404 to every role above, and why (any other is a wrong id).
NOT_FOUND_FOR_ALL = [
    "/api/v1/exams/{exam}/items?subject={subject}",  # the case's exam has no item scores
    "/api/v1/value-added?{swapped}&level=class",  # a pair nobody asked for
    "/resources/files/{file}/pdf/",  # the case's file is a PDF: no office rendition
    # the public 云课堂 page: the case's resource is internal (superuser or not)
    "/resources/public/{resource}/",
    "/resources/public/files/{file}/",
    "/resources/public/files/{file}/preview/",
    "/resources/public/files/{file}/pdf/",
]

# Query strings a route needs that no scope case teaches.
QUERY_OF = {
    "orgs/units/new/": lambda made, w: f"parent={w.units['huazhou'].pk}",
    "orgs/schools/new/": lambda made, w: f"parent={w.units['huazhou'].pk}",
}

# Tables a GET may add rows to, and which rows (a filter, as SQL, of the rows that count).
ALLOWED = {
    "sessions.Session": None,  # not counted: a log-in (force_login, the session's refresh)
    "core.AuditLog": "action NOT IN ('view', 'export')",  # audited reads are allowed
    # A resource's page and file download count the view/download: one pending hit row
    # (resources/use.py count_hit, at most one per account, resource, kind and day); only
    # such rows may appear — a counted hit, or any other row of the table, may not.
    "resources.ResourceHit": "counted OR kind NOT IN ('view', 'download')",
}

# Tables a GET's statements may write (INSERT, UPDATE or DELETE), and why: the session (a
# log-in's, its expiry); the audit log, whose rows are counted so that only the audited
# reads of restricted data pass.
# An API token's "last used" is stamped by its authentication (at most every 5 minutes).
WRITES_ALLOWED = {"django_session", "core_auditlog", "people_apitoken"}
# Tables a GET may only INSERT into (never update or delete): the pending view/download
# hits a resource's page and file download append (the aggregation is a periodic job).
INSERTS_ALLOWED = {"resources_resourcehit"}

# Routes that are not pages of ours, or that end the session.
SKIP_ROUTES = {"accounts/logout/", "i18n/setlang/"}

# Parameter values no scope case teaches, by parameter name; ``made`` maps a model label to
# the scope case's row, ``world`` is the test world.
BY_NAME = {
    "school_id": lambda made, w: w.schools["school_c"].pk,
    "school": lambda made, w: w.schools["school_c"].pk,
    "unit": lambda made, w: w.units["huazhou"].pk,
    "unit_pk": lambda made, w: w.units["huazhou"].pk,
    "person_pk": lambda made, w: made["people.Person"].pk,
    "role_pk": lambda made, w: made["people.RoleAssignment"].pk,
    "honour_pk": lambda made, w: made["people.Honour"].pk,
    "perm_id": lambda made, w: made["quality.StudentDataPermission"].pk,
    "key": lambda made, w: "total",
    "kind": lambda made, w: "people",
    "data_kind": lambda made, w: "student_data",
    "number": lambda made, w: 1,
    "indicator": lambda made, w: next(iter(BY_KEY)),
    "subject": lambda made, w: made["quality.Exam"].subjects.order_by("pk").first().name,
    "task_id": lambda made, w: made["communities.CommunityTask"].pk,
    "code": lambda made, w: made["hours.Certificate"].code,
    "ct": lambda made, w: made["hours.Certificate"].source_type_id,
    "job_id": lambda made, w: made[ZIP_JOB].pk,
    "campaign_id": lambda made, w: made["wellbeing.Campaign"].pk,
    # the student's answering token (a header: the GET is requested without it)
    "X-Answer-Token": lambda made, w: answer_token(made["wellbeing.Participation"]),
    "homeroom_pk": lambda made, w: made["people.HomeroomAssignment"].pk,
    "homeroom_id": lambda made, w: made["people.HomeroomAssignment"].pk,
    "indicator_pk": lambda made, w: made["researchers.AppraisalIndicator"].pk,
}

# ``<int:pk>`` of routes under a prefix no scope case's page shows.
PK_OF = {
    "activities/decisions/": "activities.Decision",
    "activities/materials/": "activities.Material",
    "ledger/supervisions/": "ledger.Supervision",
    "observations/liaisons/": "observations.LiaisonAssignment",
    "me/tokens/": "people.ApiToken",
    "pairing/reports/": "pairing.PairingReport",
    "pairing/funds/": "pairing.Fund",
    "pairing/people/": "pairing.PersonSent",
    "pairing/joint/": "pairing.JointActivity",
    "communities/settings/templates/": "communities.TaskTemplate",
    "communities/memberships/": "communities.Membership",
    "communities/tasks/": "communities.CommunityTask",
    "training/enrolments/": "training.Enrolment",
    "training/submissions/": "training.Submission",
    "hours/certificates/source/": "activities.Activity",
    "hours/certificates/": "hours.Certificate",
    "resources/rounds/entries/": "resources.Recommendation",
    "resources/favourites/": "resources.Favourite",
    "resources/ratings/": "resources.Rating",
    "resources/comments/": "resources.Comment",
    "resources/applications/": "resources.Application",
    "resources/public/files/": "resources.ResourceFile",
    "resources/public/": "resources.Resource",
    "outcomes/entries/": "outcomes.Entry",
    "outcomes/scores/": "outcomes.ExpertScore",
    "outcomes/promotions/": "outcomes.Promotion",
    "outcomes/adoptions/": "outcomes.Adoption",
    "outcomes/points/table/": "outcomes.PointRule",
    "researchers/appraisal/researcher/": "researchers.ResearcherProfile",
}

_CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def _routes() -> list[str]:
    out: list[str] = []

    def walk(resolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p, route)
            elif isinstance(p, URLPattern) and not route.startswith(("api/", "^", "static")):
                out.append(route)

    walk(get_resolver(), "")
    return [r for r in out if r not in SKIP_ROUTES]


def _make_all(world) -> dict:
    made = {}
    for model, case in CASES.items():
        made[model._meta.label] = case.make(world)
    made[ZIP_JOB] = _zip_job(made["hours.Certificate"], world)
    return made


def _zip_job(cert, world):
    """A finished ZIP of the certificate case's source (its organiser started it), so
    that the download answers with the file."""
    from jiaoyan.core import jobs

    source = certificates.source_of(cert.source_type_id, cert.source_id)
    job = certificates.start_zip(actor=world.users["outsider"], source=source)
    assert jobs.execute(job.pk) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    return job


def _learned(made: dict) -> tuple[dict[str, tuple[dict, str]], dict[str, str]]:
    """What the cases' URLs teach: for each page route, its kwargs and query string; and
    the concrete API URLs (path and query) they name."""
    pages: dict[str, tuple[dict, str]] = {}
    api_urls: list[str] = []
    for model, case in CASES.items():
        obj = made[model._meta.label]
        for spec in (case.page, case.list_page, case.api, case.api_list):
            if spec is None:
                continue
            url = spec(obj) if callable(spec) else spec
            parts = urlsplit(url)
            if parts.path.startswith("/api/"):
                api_urls.append(url)
                continue
            match = resolve(parts.path)
            pages.setdefault(match.route, (match.kwargs, parts.query))
    return pages, api_urls


def _fill_page(route: str, pages: dict, made: dict, world) -> str | None:
    if route in pages:
        kwargs, query = pages[route]
    else:
        kwargs, query = {}, ""
        for m in _CONVERTER.finditer(route):
            name = m.group("name")
            head = route[: m.end()]
            value = next((kw[name] for r, (kw, _q) in pages.items() if r.startswith(head)), None)
            if value is None and name == "pk":
                label = next((v for k, v in PK_OF.items() if route.startswith(k)), None)
                value = made[label].pk if label else None
            if value is None and name in BY_NAME:
                value = BY_NAME[name](made, world)
            if value is None:
                return None
            kwargs[name] = value
    if not query and route in QUERY_OF:
        query = QUERY_OF[route](made, world)
    path = "/" + _CONVERTER.sub(lambda m: str(kwargs[m.group("name")]), route)
    return path + (f"?{query}" if query else "")


def _api_operations() -> list[tuple[str, list[dict]]]:
    doc = ninja_api.get_openapi_schema()
    return [
        (path, op.get("parameters", []))
        for path, ops in sorted(doc["paths"].items())
        for method, op in ops.items()
        if method == "get"
    ]


def _fill_api(template: str, params: list[dict], api_urls: list[str], made, world) -> str | None:
    pattern = re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
    known: dict[str, str] = {}
    query = ""
    for url in api_urls:  # the same operation, as a case names it
        parts = urlsplit(url)
        m = pattern.match(parts.path)
        if m:
            known.update(m.groupdict())
            query = parts.query
            break
    if not known:  # any case's URL naming the same parameter
        for url in api_urls:
            for name in re.findall(r"\{(\w+)\}", template):
                prefix = template[: template.index("{" + name + "}")]
                tail = urlsplit(url).path
                if tail.startswith(prefix) and name not in known:
                    known[name] = tail[len(prefix) :].split("/")[0]
    for url in api_urls:
        for key, value in re.findall(r"(\w+)=([^&]+)", urlsplit(url).query):
            known.setdefault(key, value)
    missing = []
    values = {}
    for p in params:
        if not p.get("required"):
            continue
        name = p["name"]
        value = known.get(name)
        if value is None and name in BY_NAME:
            value = BY_NAME[name](made, world)
        if value is None:
            missing.append(name)
        values[(p["in"], name)] = value
    if missing:
        return None
    path = re.sub(r"\{(\w+)\}", lambda m: str(values[("path", m.group(1))]), template)
    q = "&".join(f"{n}={v}" for (where, n), v in values.items() if where == "query")
    if query and not q:
        q = query
    return path + (f"?{q}" if q else "")


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)


def _written(queries) -> set[str]:
    """The tables a request's statements inserted into, updated or deleted from, bar
    those ``WRITES_ALLOWED`` names."""
    out = set()
    for q in queries:
        m = _WRITE.match(q["sql"])
        if not m or m.group(1) in WRITES_ALLOWED:
            continue
        if m.group(1) in INSERTS_ALLOWED and q["sql"].lstrip().upper().startswith("INSERT"):
            continue
        out.add(m.group(1))
    return out


def _tables() -> list[tuple[str, str]]:
    out = []
    for model in apps.get_models():
        meta = model._meta
        if not meta.managed or meta.proxy or meta.label == "sessions.Session":
            continue
        where = ALLOWED.get(meta.label)
        out.append((meta.label, meta.db_table + (f" WHERE {where}" if where else "")))
    return out


def _counts(tables) -> dict[str, int]:
    q = connection.ops.quote_name
    sql = ", ".join(
        f"(SELECT COUNT(*) FROM {q(t.split(' WHERE ')[0])}"
        + (f" WHERE {t.split(' WHERE ')[1]}" if " WHERE " in t else "")
        + ")"
        for _label, t in tables
    )
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sql}")
        row = cur.fetchone()
    return {label: n for (label, _t), n in zip(tables, row, strict=True)}


@pytest.fixture
def urls(world):
    made = _make_all(world)
    pages, api_urls = _learned(made)
    page_urls, unfilled = [], []
    for route in _routes():
        url = _fill_page(route, pages, made, world)
        (page_urls if url else unfilled).append(url or route)
    api_list = []
    for template, params in _api_operations():
        url = _fill_api(template, params, api_urls, made, world)
        (api_list if url else unfilled).append(url or template)
    assert not unfilled, (
        f"no ids for these routes (add a scope case or a BY_NAME value): {unfilled}"
    )
    # Pairs and documents nobody asked for: a GET of them must not start the work.
    link = made["quality.ValueAddedLink"]
    swapped = f"entry={link.exit_exam_id}&exit={link.entry_exam_id}"
    page_urls += [
        f"/quality/value-added/?{swapped}",
        f"/quality/{made['quality.Exam'].pk}/schools/{world.schools['school_c'].pk}/?format=docx",
        f"/quality/{made['quality.Exam'].pk}/?export=xlsx&level=class",
    ]
    api_list += [f"/api/v1/value-added?{swapped}&level=class"]
    exam = made["quality.Exam"]
    names = {
        "swapped": swapped,
        "exam": exam.pk,
        "subject": BY_NAME["subject"](made, world),
        "zip": f"/hours/certificates/zip/{made[ZIP_JOB].pk}/",
        "resource": made["resources.Resource"].pk,
        "file": made["resources.ResourceFile"].pk,
    }
    yield page_urls, api_list, names
    default_storage.delete(made[ZIP_JOB].result["file"])


def test_get_requests_write_nothing(world, urls, client_for, api_for):
    page_urls, api_urls, names = urls
    tables = _tables()
    writes: list[str] = []
    updates: set[str] = set()
    statuses: dict[str, set[int]] = {}
    for name in USERS:
        user = world.users[name]
        client, api = client_for(user), api_for(user)
        for kind, c, batch in (("pages", client, page_urls), ("api", api, api_urls)):
            for url in batch:
                variants = ({}, {"HTTP_HX_REQUEST": "true"}) if name == "superuser" else ({},)
                for headers in variants if kind == "pages" else ({},):
                    before = _counts(tables)
                    with CaptureQueriesContext(connection) as ctx:
                        r = c.get(url, **headers)
                    for table in _written(ctx.captured_queries):
                        updates.add(f"{name} GET {url}: {table}")
                    assert r.status_code < 500, (name, url, r.status_code)
                    statuses.setdefault(url, set()).add(r.status_code)
                    after = _counts(tables)
                    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
                    if changed:
                        writes.append(f"{name} GET {url} {headers or ''}: {changed}")
    assert not writes, "GET requests that wrote:\n" + "\n".join(writes)
    assert not updates, "GET requests that changed rows:\n" + "\n".join(sorted(updates))
    # the ids were real: no URL answered 404 to every role (a wrong id would)
    not_found = sorted(u for u, codes in statuses.items() if codes == {404})
    assert not_found == sorted(u.format(**names) for u in NOT_FOUND_FOR_ALL), not_found
    # the certificates' ZIP was the real download for its organiser, not a 404 page
    assert statuses[names["zip"]] == {200, 404}, statuses[names["zip"]]


def test_every_get_operation_and_page_is_requested(urls):
    page_urls, api_urls, _names = urls
    templates = {t for t, _p in _api_operations()}
    covered = set()
    for url in api_urls:
        path = urlsplit(url).path
        for t in templates:
            if re.fullmatch(re.sub(r"\{\w+\}", r"[^/]+", t), path):
                covered.add(t)
    assert covered == templates
    resolved = {resolve(urlsplit(u).path).route for u in page_urls}
    assert set(_routes()) <= resolved
