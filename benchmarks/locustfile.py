"""The load test's users (run by ``jiaoyan loadtest``; locust is in the dev extras).

A realistic mix of the five demo roles on a served demo database: mostly teachers reading
their home, activities, observations and hours; researchers and principals opening lists,
details and searches; a few admins on the city-wide lists; a few writes (marking
notifications read, choosing the language). Every user logs in through the log-in form
as a person would, then works with a pause of half a second to a second between steps.
The sequence of each user is seeded (by its role and number), so two runs ask the same.

With ``LOADTEST_WARMUP`` seconds set, the figures are reset once that time has passed
(every user logged in, the processes warm), so they describe the sustained load; the
log-ins' own figures are written to ``LOADTEST_WARMUP_OUT`` (JSON) before the reset.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

import gevent
from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "jiaoyan-demo")
_ids = re.compile(r'href="/(activities|observations|ledger/items)/(\d+)/"')
_counter = itertools.count()
WARMUP = float(os.environ.get("LOADTEST_WARMUP") or 0)
WARMUP_OUT = os.environ.get("LOADTEST_WARMUP_OUT", "")


@events.test_start.add_listener
def _reset_after_warmup(environment, **_kwargs) -> None:
    if WARMUP <= 0 or environment.runner is None:
        return

    def reset() -> None:
        gevent.sleep(WARMUP)
        stats = environment.runner.stats
        if WARMUP_OUT:
            warm = {
                name: {
                    "n": e.num_requests,
                    "failures": e.num_failures,
                    "p50_ms": e.get_response_time_percentile(0.5),
                    "p95_ms": e.get_response_time_percentile(0.95),
                }
                for (name, _method), e in stats.entries.items()
            }
            with open(WARMUP_OUT, "w") as f:
                json.dump({"seconds": WARMUP, "by_name": warm}, f)
        stats.reset_all()

    gevent.spawn(reset)


class Person(HttpUser):
    abstract = True
    username = ""
    wait_time = between(0.5, 1.0)
    lists: tuple[str, ...] = ("/",)
    searches: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.rng = random.Random(f"{self.username}-{next(_counter)}")
        self.found: dict[str, list[str]] = {}
        page = self.client.get("/accounts/login/", name="log-in page")
        token = self.client.cookies.get("csrftoken") or ""
        if not token:
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            token = match.group(1) if match else ""
        with self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="log in",
            catch_response=True,
            allow_redirects=False,
        ) as resp:
            if resp.status_code != 302:
                resp.failure(f"log-in as {self.username} answered {resp.status_code}")

    def _open(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}")
                return
            for kind, pk in _ids.findall(resp.text):
                ids = self.found.setdefault(kind, [])
                if pk not in ids and len(ids) < 50:
                    ids.append(pk)

    @task(3)
    def home(self) -> None:
        self._open("/", "home")

    @task(6)
    def a_list(self) -> None:
        url = self.rng.choice(self.lists)
        self._open(url, f"list {url.split('?')[0]}")

    @task(4)
    def a_detail(self) -> None:
        kinds = [k for k, ids in self.found.items() if ids]
        if not kinds:
            return self.a_list()
        kind = self.rng.choice(sorted(kinds))
        pk = self.rng.choice(self.found[kind])
        self._open(f"/{kind}/{pk}/", f"detail /{kind}/")

    @task(2)
    def a_search(self) -> None:
        if self.searches:
            url = self.rng.choice(self.searches)
            self._open(url, f"search {url.split('?')[0]}")

    @task(1)
    def a_write(self) -> None:
        token = self.client.cookies.get("csrftoken") or ""
        headers = {"X-CSRFToken": token, "Referer": f"{self.host}/"}
        if self.rng.random() < 0.5:
            self.client.post(
                "/notifications/read/",
                {"all": "1"},
                headers=headers,
                name="write: notifications read",
                allow_redirects=False,
            )
        else:
            self.client.post(
                "/i18n/setlang/",
                {"language": "zh-hans", "next": "/"},
                headers=headers,
                name="write: language",
                allow_redirects=False,
            )


class Teacher(Person):
    weight = 10
    username = "teacher"
    lists = ("/activities/", "/observations/", "/hours/", "/notifications/")
    searches = ("/activities/?q=数学",)


class Researcher(Person):
    weight = 4
    username = "district_researcher"
    lists = ("/activities/", "/observations/", "/ledger/", "/observations/coverage/")
    searches = ("/activities/?q=教研", "/people/?q=王")


class Principal(Person):
    weight = 3
    username = "principal"
    lists = ("/activities/", "/observations/", "/people/", "/ledger/")
    searches = ("/people/?q=李",)


class Counsellor(Person):
    weight = 1
    username = "counsellor"
    lists = ("/activities/", "/hours/")


class CityAdmin(Person):
    weight = 2
    username = "city_admin"
    lists = ("/people/", "/orgs/", "/activities/", "/ledger/", "/quality/", "/audit/")
    searches = ("/people/?q=张", "/activities/?q=课堂")
