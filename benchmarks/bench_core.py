"""Benchmarks of the shell: home (the scope dashboard), imports, audit log, notifications,
my account, and the API's /me."""

from jiaoyan.core.bench import Page

PAGES = [
    Page("home", "/", user="city_admin", province=True),
    Page("home", "/", user="district_researcher"),
    Page("home", "/", user="principal"),
    Page("home", "/", user="teacher"),
    Page("imports", "/imports/", user="city_admin", grow="size=100"),
    Page("audit log", "/audit/", user="city_admin", grow="size=100"),
    Page("audit log search", "/audit/?q=王", user="city_admin"),
    Page("notifications", "/notifications/", user="teacher", grow="size=100"),
    Page("my account", "/me/", user="teacher"),
    Page("api me", "/api/v1/me", user="district_researcher"),
]
