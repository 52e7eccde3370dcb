"""API of outcomes (成果): outcomes, their promotion records and adoptions, selection
rounds and their entries (recommend, withdraw, experts and scores, announce), the point
table and the points ranking — through the same services and scope as the pages, every
reference through core.resolve."""

from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from jiaoyan.activities.models import Activity
from jiaoyan.communities.models import Community
from jiaoyan.core.api import paginated
from jiaoyan.core.api_crud import Resource as ApiResource
from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR
from jiaoyan.core.scope import scope_paths
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person
from jiaoyan.projects.models import Project

from . import points, rounds, services
from .models import Adoption, Entry, ExpertScore, Outcome, PointRule, Promotion, SelectionRound
from .schemas import (
    AdoptionIn,
    AdoptionOut,
    EntryFilter,
    EntryOut,
    ExpertIn,
    ExpertScoreOut,
    OutcomeFilter,
    OutcomeIn,
    OutcomeOut,
    OutcomePatch,
    PointRuleIn,
    PointRuleOut,
    PointTotalOut,
    PromotionIn,
    PromotionOut,
    ScoreIn,
    SelectionRecommendIn,
    SelectionRoundFilter,
    SelectionRoundIn,
    SelectionRoundOut,
    SelectionRoundPatch,
)

router = Router(tags=["outcomes"])
REFS = {"org_unit": OrgUnit, "authors": [Person], "community": Community, "project": Project}

outcomes = ApiResource(
    router,
    "/outcomes/{outcome_id}",
    Outcome.objects.select_related("org_unit").prefetch_related("authors"),
    out=OutcomeOut,
)
promotions = ApiResource(
    router,
    "/outcome-promotions/{promotion_id}",
    Promotion.objects.select_related("org_unit"),
    out=PromotionOut,
    name="promotion",
)
adoptions = ApiResource(
    router,
    "/outcome-adoptions/{adoption_id}",
    Adoption.objects.select_related("org_unit"),
    out=AdoptionOut,
    name="adoption",
)
round_rows = ApiResource(
    router,
    "/selection-rounds/{round_id}",
    SelectionRound.objects.select_related("org_unit"),
    out=SelectionRoundOut,
    name="selection_round",
    arg="round",
)
entries = ApiResource(
    router,
    "/selection-entries/{entry_id}",
    Entry.objects.select_related("outcome"),
    out=EntryOut,
    name="selection_entry",
    plural="selection_entries",
    arg="entry",
)
scores = ApiResource(
    router,
    "/expert-scores/{score_id}",
    ExpertScore.objects.select_related("entry"),
    out=ExpertScoreOut,
    name="expert_score",
)
rules = ApiResource(
    router,
    "/point-rules/{rule_id}",
    PointRule.objects.all(),
    out=PointRuleOut,
    name="point_rule",
    arg="rule",
)

outcomes.list(
    filters=OutcomeFilter, order=("-created_at", "-id"), summary="Outcomes and typical cases"
).get().create(services.create_outcome, OutcomeIn, refs=REFS, summary="Submit an outcome").update(
    services.update_outcome,
    OutcomePatch,
    refs=REFS,
    nullable=("community", "project"),
    summary="Edit an outcome (its authors and the unit's managers)",
).delete(services.delete_outcome, summary="Delete an outcome never recommended").action(
    "promotions",
    services.record_promotion,
    body=PromotionIn,
    refs={"org_unit": OrgUnit, "activity": Activity},
    answers=promotions,
    summary="Record where the outcome was applied or exhibited",
    name="record_outcome_promotion",
).action(
    "adoptions",
    services.record_adoption,
    body=AdoptionIn,
    refs={"org_unit": OrgUnit},
    answers=adoptions,
    summary="Record that a unit adopted the outcome, with its feedback",
    name="record_outcome_adoption",
)
promotions.list(
    "/outcomes/{outcome_id}/promotions",
    parent=("outcome", Outcome),
    order=("-date", "-id"),
    summary="Promotion records of an outcome",
    name="list_outcome_promotions",
).get(name="get_outcome_promotion").delete(
    services.delete_promotion, name="delete_outcome_promotion"
)
adoptions.list(
    "/outcomes/{outcome_id}/adoptions",
    parent=("outcome", Outcome),
    order=("-adopted_on", "-id"),
    summary="Adoptions of an outcome",
    name="list_outcome_adoptions",
).get(name="get_outcome_adoption").delete(services.delete_adoption, name="delete_outcome_adoption")

round_rows.list(
    filters=SelectionRoundFilter,
    order=("-opens_on", "-id"),
    summary="Selection rounds run by your units or the units above them",
).get(summary="A selection round").create(
    rounds.create_round,
    SelectionRoundIn,
    refs={"org_unit": OrgUnit},
    summary="Start a selection round",
).update(
    rounds.update_round,
    SelectionRoundPatch,
    summary="Edit a round before its results are announced",
).action(
    "recommend",
    rounds.recommend,
    body=SelectionRecommendIn,
    refs={"outcome": Outcome, "unit": OrgUnit},
    answers=entries,
    summary="Recommend an outcome one level up (or select it at the top), within the quota",
    name="recommend_outcome",
).action(
    "announce",
    rounds.announce,
    summary="Announce the results once closed: honours marked, authors told",
    name="announce_selection_round",
)
entries.list(
    filters=EntryFilter,
    order=("-recommended_at", "-id"),
    summary="Entries your units sent or received (and announced honours)",
).get(summary="An entry of a selection round").action(
    "withdraw",
    rounds.withdraw,
    summary="Withdraw an entry while the round is open",
    name="withdraw_selection_entry",
).action(
    "experts",
    rounds.assign_expert,
    body=ExpertIn,
    refs={"expert": Person},
    answers=scores,
    summary="Assign an expert to an entry at the top level (not of its unit, not an author)",
    name="assign_outcome_expert",
)
scores.list(order=("-assigned_at", "-id"), summary="Expert scores you give or your rounds hold")
scores.get().action(
    "score",
    rounds.score,
    body=ScoreIn,
    summary="Give your score (0–100) and comment",
    name="give_expert_score",
)
rules.list(order=("org_unit_id", "code", "level"), summary="Point tables of the bureaus above you")
rules.get().create(
    services.set_point_rule,
    PointRuleIn,
    refs={"org_unit": OrgUnit},
    summary="Set a rule of a bureau's point table",
).delete(services.delete_point_rule, summary="Remove a rule of a point table")


class PointsQuery(Schema):
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    of: Literal["persons", "units", "communities"] = "persons"


@router.get("/points", response=list[PointTotalOut], summary="The points ranking of a year")
@paginated
def points_ranking(request, filters: Query[PointsQuery]):
    """Persons, units or communities with points in the year in your scope, most first,
    each with the rules its points came from."""
    user = request.auth
    year = filters.year or timezone.localdate().year
    computed = points.kept(year)
    paths = None if user.is_superuser else scope_paths(user)
    return _Ranked(computed.within(getattr(computed, filters.of), paths), filters.of)


class _Ranked:
    """The ranking as the paginator slices it: names read for the page only."""

    def __init__(self, rows, of: str) -> None:
        self.rows, self.of = rows, of

    def count(self) -> int:
        return len(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key):
        rows = self.rows[key]
        model = {"persons": Person, "units": OrgUnit, "communities": Community}[self.of]
        names = dict(model.objects.filter(pk__in=[t.key for t in rows]).values_list("pk", "name"))
        return [
            {
                "id": t.key,
                "name": names.get(t.key, ""),
                "points": t.points,
                "rules": [
                    {
                        "rule": r["rule"].code,
                        "label": r["label"],
                        "level": r["level"] or "",
                        "count": r["count"],
                        "points": r["points"],
                    }
                    for r in t.by_rule()
                ],
            }
            for t in rows
        ]
