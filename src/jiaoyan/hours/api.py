"""API of hours records: your own (and, for admins, researchers and principals, the
records of the people in your scope)."""

from ninja import Query, Router

from jiaoyan.core.api import paginated
from jiaoyan.core.api_crud import Resource

from .models import HoursRecord
from .schemas import HoursFilter, HoursOut

router = Router(tags=["hours"])

HOURS = HoursRecord.objects.select_related("person", "source_type")


@router.get("/hours", response=list[HoursOut], summary="Hours records")
@paginated
def list_hours(request, filters: Query[HoursFilter]):
    qs = HOURS.visible_to(request.auth)
    qs = filters.filter(qs)
    if filters.mine:
        qs = qs.filter(person__user_id=request.auth.pk)
    return qs.order_by("-date", "-id")


Resource(router, "/hours/{record_id}", HOURS, out=HoursOut, name="hours").get()
