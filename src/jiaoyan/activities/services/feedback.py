"""Participants' feedback on a finished activity."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiaoyan.core.errors import ServiceError

from ..models import Activity, Feedback, Participation
from .common import Att, Status
from .participation import _require_participant_view


@transaction.atomic
def give_feedback(*, actor, activity: Activity, rating: int, comment: str = "") -> Feedback:
    activity = Activity.objects.get(pk=activity.pk)
    person = _require_participant_view(actor, activity)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ServiceError(_("Choose a rating from 1 to 5."), field="rating")
    if activity.status not in {Status.IN_PROGRESS, Status.FINISHED}:
        raise ServiceError(_("Feedback opens when the activity has taken place."))
    attended = Participation.objects.filter(
        activity=activity, person=person, attendance__in=[Att.PRESENT, Att.LATE]
    ).exists()
    if not attended:
        raise ServiceError(_("Only people who attended can rate the activity."))
    try:
        with transaction.atomic():
            fb = Feedback.objects.create(
                activity=activity,
                person=person,
                rating=rating,
                comment=(comment or "").strip()[:2000],
            )
    except IntegrityError:
        raise ServiceError(_("You already rated this activity. Thank you!")) from None
    Activity.objects.filter(pk=activity.pk).update(
        feedback_count=F("feedback_count") + 1, rating_total=F("rating_total") + rating
    )
    return fb
