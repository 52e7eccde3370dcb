"""API of hours records: your own (and, for admins, researchers and principals, the
records of the people in your scope)."""

from ninja import Query, Router

from jiaoyan.core.api import paginated
from jiaoyan.core.scope import get_visible_or_404

from .models import HoursRecord
from .schemas import HoursFilter, HoursOut

router = Router(tags=["hours"])


@router.get("/hours", response=list[HoursOut], summary="Hours records")
@paginated
def list_hours(request, filters: Query[HoursFilter]):
    qs = HoursRecord.objects.visible_to(request.auth).select_related("person", "source_type")
    qs = filters.filter(qs)
    if filters.mine:
        qs = qs.filter(person__user_id=request.auth.pk)
    return qs.order_by("-date", "-id")


@router.get("/hours/{record_id}", response=HoursOut)
def get_hours(request, record_id: int):
    return get_visible_or_404(
        HoursRecord.objects.select_related("person", "source_type"), request.auth, pk=record_id
    )
