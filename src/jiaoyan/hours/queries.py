"""Read side of hours: a person's records, ledger and cycle progress; the behind-schedule
list; declarations to decide; certificates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from jiaoyan.core import charts

from . import rules
from .models import Certificate, ExternalDeclaration, HoursCycle, HoursRecord

PAIRS_KEY = "hours:cycle-pairs"


def own_records(user):
    return HoursRecord.objects.visible_to(user).filter(person__user_id=user.pk)


def own_totals(user, year: int | None = None) -> dict:
    qs = own_records(user)
    if year is not None:
        qs = qs.filter(date__year=year)
    agg = qs.aggregate(total=Sum("hours"), n=Count("id"))
    return {"total": agg["total"] or Decimal("0"), "count": agg["n"] or 0}


def own_by_year(user) -> list[dict]:
    rows = (
        own_records(user)
        .values("date__year")
        .annotate(total=Sum("hours"), n=Count("id"))
        .order_by("-date__year")
    )
    return [{"year": r["date__year"], "total": r["total"], "count": r["n"]} for r in rows]


def records_of(user, person) -> QuerySet:
    """The records of ``person`` that ``user`` may see (their own, or in their scope)."""
    return HoursRecord.objects.visible_to(user).filter(person=person)


def current_cycle(user, person) -> HoursCycle | None:
    return (
        HoursCycle.objects.visible_to(user)
        .filter(person=person, is_current=True)
        .select_related("person")
        .first()
    )


def ledger(user, person, *, today: dt.date | None = None) -> dict:
    """A person's 学时档案 as the page, the sheet and the PDF show it: the current cycle's
    progress, its charts and the records of the cycle (a few queries)."""
    today = today or timezone.localdate()
    cycle = current_cycle(user, person)
    progress = rules.progress(cycle, today) if cycle else None
    out = {"person": person, "cycle": cycle, "progress": progress, "today": today}
    if progress is not None:
        out["year_chart"] = charts.bar(
            [str(y) for y, _v in progress.by_year],
            [float(v) for _y, v in progress.by_year],
            name="学时",
        )
        out["category_chart"] = charts.bar(
            [c.name or "其他" for c in progress.categories],
            [float(c.counted) for c in progress.categories],
            horizontal=True,
            name="学时",
        )
    return out


def cycle_records(user, person, cycle: HoursCycle | None) -> QuerySet:
    qs = records_of(user, person).select_related("credited_by", "category", "source_type")
    if cycle is not None:
        qs = qs.filter(
            date__gte=dt.date(cycle.start_year, 1, 1), date__lte=dt.date(cycle.end_year, 12, 31)
        )
    return qs.order_by("-date", "-id")


def cycle_pairs() -> set[tuple[int, int]]:
    """The (first, last) years of the current cycles (a handful): what the behind
    condition is written over. Kept a minute (a scan of every current cycle otherwise);
    a pair missed meanwhile only delays a brand-new kind of cycle on the list."""

    def read() -> list[tuple[int, int]]:
        return sorted(
            HoursCycle.objects.filter(is_current=True)
            .order_by()
            .values_list("start_year", "end_year")
            .distinct()
        )

    pairs = cache.get(PAIRS_KEY)
    if pairs is None:
        pairs = read()
        cache.set(PAIRS_KEY, pairs, 60)
    return {tuple(p) for p in pairs}


def forget_cycle_pairs() -> None:
    """After a write that may add a kind of current cycle: drop the kept pairs now and
    again once the transaction commits (a reader between the two kept the old ones)."""
    cache.delete(PAIRS_KEY)
    transaction.on_commit(lambda: cache.delete(PAIRS_KEY))


def behind(user, *, today: dt.date | None = None) -> QuerySet:
    """The current cycles ``user`` may see whose people are behind schedule."""
    today = today or timezone.localdate()
    return (
        HoursCycle.objects.visible_to(user)
        .filter(is_current=True)
        .filter(rules.behind_q(cycle_pairs(), today))
    )


def declarations(user) -> QuerySet:
    return ExternalDeclaration.objects.visible_to(user).select_related(
        "person", "person__org_unit", "category"
    )


def own_certificates(user) -> QuerySet:
    return (
        Certificate.objects.visible_to(user)
        .filter(person__user_id=user.pk)
        .select_related("issuer", "person")
    )


def certificates(user) -> QuerySet:
    return Certificate.objects.visible_to(user).select_related("issuer", "person")


def certificate_of(user, source) -> Certificate | None:
    """The user's own certificate of ``source`` (a programme …), if they hold one."""
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(type(source))
    return own_certificates(user).filter(source_type=ct, source_id=source.pk).first()


def source_certificates_url(source) -> str:
    """The page listing a source's certificates (for those who manage the source)."""
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    ct = ContentType.objects.get_for_model(type(source))
    return reverse("hours:source_certificates", args=[ct.pk, source.pk])
