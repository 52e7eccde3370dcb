"""Read side of hours: a person's own records and totals."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from .models import HoursRecord


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
