"""API of hours records: your own (and, for admins, researchers and principals, the
records of the people in your scope)."""

from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from jiaoyan.core.scope import get_visible_or_404

from .models import HoursRecord
from .schemas import HoursFilter, HoursOut

router = Router(tags=["hours"])


@router.get("/hours", response=list[HoursOut], summary="Hours records")
@paginate(LimitOffsetPagination)
def list_hours(request, filters: Query[HoursFilter]):
    qs = HoursRecord.objects.visible_to(request.auth).select_related("person", "source_type")
    if filters.mine:
        qs = qs.filter(person__user_id=request.auth.pk)
    if filters.year:
        qs = qs.filter(date__year=filters.year)
    if filters.person:
        qs = qs.filter(person_id=filters.person)
    return qs.order_by("-date", "-id")


@router.get("/hours/{record_id}", response=HoursOut)
def get_hours(request, record_id: int):
    return get_visible_or_404(
        HoursRecord.objects.select_related("person", "source_type"), request.auth, pk=record_id
    )
