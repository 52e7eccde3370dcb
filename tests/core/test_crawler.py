"""The crawler: every page a demo account can reach answers hostile query values without a
server error, and no GET writes.

Logged in as each of the five demo accounts (``jiaoyan demo --scale small --seed 1``),
it follows the same-site links of the home page and the navigation breadth-first, in a
fixed order, up to ``MAX_PATTERNS`` distinct pages per account (a page is its path with
ids replaced, plus its query keys: the tenth activity is not another page). Each page is
then replayed with hostile values for every query parameter it has and for the common
ones it does not take (``year``, ``page`` …): all at once for each value, and one at a
time for the values most likely to break a parser. Any 500 (an exception in a view) fails
the test with the URL; any INSERT/UPDATE/DELETE during a GET, other than the tables
listed in ``WRITABLE_ON_GET``, fails it too.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from jiaoyan.people.models import User

ROLES = ["city_admin", "district_researcher", "principal", "teacher", "counsellor"]
MAX_PATTERNS = 56  # distinct pages per account (twelve modules: enough to reach each list)
MAX_FETCHES = 320  # plain GETs per account (links followed)

HUGE, NEG_HUGE = "9" * 25, "-" + "9" * 25
HOSTILE = [
    HUGE,
    NEG_HUGE,
    "-1",
    "1.5",
    "",
    "x" * 2000,
    "臺灣數學' OR 1=1 --<script>alert(1)</script>",  # traditional characters, SQL, HTML
    "__unknown_choice__",
    "10000",
]
ONE_AT_A_TIME = [HUGE, "abc"]  # each of a page's own parameters alone
COMMON = ["year", "page", "limit", "offset", "unit", "sort"]

# Tables a GET may write: the session (log-in, language, last page) and the resource
# library's hit log, where a view or download is appended cheaply and a periodic job adds
# them up (resources/use.py; tests/core/test_get_writes_nothing.py allows the same insert).
WRITABLE_ON_GET = {"django_session", "resources_resourcehit"}

SKIP = re.compile(
    r"^/(static|media|admin|api)/|^/accounts/(logout|login)/|^/(i18n|lang)/"
    r"|[?&]export=|/(download|file|template)/"
)
_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "hx-get") and value:
                self.links.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    out = []
    for link in parser.links:
        if not link.startswith("/") or link.startswith("//"):
            continue
        link = link.split("#", 1)[0]
        if link and not SKIP.search(link):
            out.append(link)
    return out


def pattern(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/0", parts.path)
    return path, tuple(sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)}))


def with_params(url: str, values: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(values)
    return parts.path + "?" + urlencode(query)


class WriteDetector:
    """Records every write statement (table, SQL) while active."""

    def __init__(self):
        self.url = ""
        self.writes: list[tuple[str, str, str]] = []

    def __call__(self, execute, sql, params, many, context):
        match = _WRITE.match(sql)
        if match and match.group(2).lower() not in WRITABLE_ON_GET:
            self.writes.append((self.url, match.group(2), sql[:120]))
        return execute(sql, params, many, context)


def crawl(client: Client, detector: WriteDetector, replayed: set) -> tuple[list[str], list[str]]:
    """(server errors, pages reached) for one account; pages another account replayed
    already (``replayed``) are fetched but not replayed again."""
    errors: list[str] = []

    def get(url: str):
        detector.url = url
        try:
            response = client.get(url)
        except Exception as exc:  # the test client re-raises a view's exception
            errors.append(f"{url} → {type(exc).__name__}: {str(exc)[:200]}")
            return None
        if response.status_code >= 500:
            errors.append(f"{url} → {response.status_code}")
        return response

    seen_urls: set[str] = set()
    first_of: dict[tuple, str] = {}
    queue = deque(["/"])
    fetched = 0
    while queue and fetched < MAX_FETCHES:
        url = queue.popleft()
        if url in seen_urls:
            continue
        seen_urls.add(url)
        key = pattern(url)
        if key in first_of:
            continue
        if len(first_of) >= MAX_PATTERNS:
            break
        first_of[key] = url
        response = get(url)
        fetched += 1
        if response is None:
            continue
        if response.status_code in (301, 302) and response.get("Location", "").startswith("/"):
            queue.append(response["Location"])
            continue
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for link in links_of(response.content.decode("utf-8", "replace")):
                if link not in seen_urls:
                    queue.append(link)

    for key, url in first_of.items():
        if key in replayed:
            continue
        replayed.add(key)
        own = [k for k, _v in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
        names = list(dict.fromkeys([*own, *COMMON]))
        for value in HOSTILE:
            get(with_params(url, dict.fromkeys(names, value)))
        for name in own:
            for value in ONE_AT_A_TIME:
                get(with_params(url, {name: value}))
    return errors, list(first_of.values())


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_no_page_answers_hostile_query_values_with_a_server_error_or_writes(demo):
    detector = WriteDetector()
    errors: list[str] = []
    reached: dict[str, list[str]] = {}
    replayed: set = set()
    for username in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        with connection.execute_wrapper(detector):
            found, urls = crawl(client, detector, replayed)
        errors += [f"{username}: {e}" for e in found]
        reached[username] = urls
    assert not errors, "\n".join(errors[:40])
    assert not detector.writes, "GET wrote:\n" + "\n".join(
        f"{url}: {table} ({sql})" for url, table, sql in detector.writes[:20]
    )
    # The crawl really went somewhere: every account reached pages beyond home, the
    # admin's pages include the org tree and the lists of several modules.
    for username, urls in reached.items():
        assert len(urls) >= 5, (username, urls)
    admin = " ".join(reached["city_admin"])
    for path in ("/orgs/", "/people/", "/activities/", "/ledger/", "/quality/"):
        assert path in admin, (path, reached["city_admin"])


def test_the_detector_sees_a_write_during_a_get(world):
    """The write detector is not blind: a GET that writes would be caught."""
    detector = WriteDetector()
    with connection.execute_wrapper(detector):
        detector.url = "/x/"
        world.units["city"].save(update_fields=["name"])
    assert detector.writes and detector.writes[0][1] == "orgs_orgunit"


def test_links_and_patterns():
    html = (
        '<a href="/activities/12/?tab=a">x</a><a href="https://e.org/">y</a>'
        '<a href="/static/x.css">s</a><a href="/orgs/?export=xlsx">e</a>'
        '<div hx-get="/ledger/3/panel/"></div>'
    )
    assert links_of(html) == ["/activities/12/?tab=a", "/ledger/3/panel/"]
    assert pattern("/activities/12/?tab=a&page=2") == ("/activities/0/", ("page", "tab"))
    assert with_params("/a/?x=1", {"x": "2", "y": ""}) == "/a/?x=2&y="


class _Page:
    def __init__(self, status: int, html: str = ""):
        self.status_code, self.content = status, html.encode()

    def get(self, key, default=""):
        return {"Content-Type": "text/html; charset=utf-8"}.get(key, default)


class _Site:
    """A site whose one page fails on a huge ``year`` (its own parameter), and whose
    other page on a common one it does not take (``page=-1``)."""

    def get(self, url):
        if url == "/":
            return _Page(200, '<a href="/boom/?year=2024">x</a><a href="/quiet/">y</a>')
        if url.startswith("/boom/") and f"year={HUGE}" in url:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        if url.startswith("/quiet/") and "page=-1" in url:
            return _Page(500)
        return _Page(200)


def test_the_crawler_reports_what_fails():
    errors, urls = crawl(_Site(), WriteDetector(), set())
    assert urls == ["/", "/boom/?year=2024", "/quiet/"]
    assert any(e.startswith(f"/boom/?year={HUGE}") and "OverflowError" in e for e in errors)
    assert any(e.startswith("/quiet/?") and "page=-1" in e and "500" in e for e in errors)
