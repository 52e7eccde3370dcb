"""API of the screening module. Scoring (``POST /scales/{code}/score``) is a service for
other systems: it stores nothing and needs no restricted permission."""

from __future__ import annotations

from django.http import Http404
from ninja import Router
from ninja.responses import Status

from jiaoyan.core.errors import ServiceError

from . import queries, services
from . import scales as sc
from .schemas import ScaleAnswersIn, ScaleScoreOut, WellbeingScaleOut

router = Router(tags=["wellbeing"])


def _scale_out(scale: sc.Scale) -> dict:
    return {
        "code": scale.code,
        "name": scale.name,
        "items": scale.n_items,
        "levels": [b.key for b in scale.bands],
        "shipped": scale.code in sc.SHIPPED,
        "source": scale.source,
    }


@router.get(
    "/scales",
    response=list[WellbeingScaleOut],
    summary="Scales (shipped and the bureau's)",
    operation_id="list_wellbeing_scales",
)
def list_scales(request):
    return [_scale_out(s) for s in queries.scales_for(request.auth)]


@router.post(
    "/scales/{code}/score",
    response={200: ScaleScoreOut, 422: dict},
    summary="Score one set of answers (stores nothing)",
    operation_id="score_wellbeing_scale",
)
def score(request, code: str, body: ScaleAnswersIn):
    scale = services.scale_for(request.auth, code)
    if scale is None:
        raise Http404
    try:
        return sc.score(scale, body.answers).as_dict()
    except ServiceError as e:
        return Status(422, {"detail": e.text})
