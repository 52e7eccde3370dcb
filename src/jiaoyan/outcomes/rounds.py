"""Annual selection rounds of outcomes (成果遴选): the writes and the reads, built on the
chain every round shares (:mod:`jiaoyan.core.rounds`).

A bureau runs a round (:class:`SelectionRound`): schools recommend their outcomes to
their county within the school quota, the county recommends to the city within its quota,
and the city — the round's top level — selects with expert scores: its runners assign
experts (never from the outcome's own unit, never its authors) to each entry received,
the experts score 0–100, and the city selects within its quota (the selection table is
ordered by the mean score). Quotas hold under concurrent recommendation: every write of
a round's entries locks the round's row first (``core.rounds.lock_round``). Announcing
honours each outcome at the highest level that chose it, results per level, and tells
its authors (``notify``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, stamps
from jiaoyan.core import rounds as chain
from jiaoyan.core.audit import AuditLog
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.notifications import notify
from jiaoyan.core.paths import is_under
from jiaoyan.core.scope import locked, require
from jiaoyan.core.services import apply_changes, check_version, clean_text
from jiaoyan.orgs.models import OrgUnit

from .models import MANAGERS, Entry, ExpertScore, Honour, Kind, Outcome, SelectionRound
from .services import POINTS, _date, _year

Action = AuditLog.Action
ROUND_FIELDS = (
    "title",
    "year",
    "kinds",
    "opens_on",
    "closes_on",
    "school_quota",
    "county_quota",
    "city_quota",
)


def _kinds(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",") if v.strip()]
    kinds = list(dict.fromkeys(str(k).strip() for k in value or ()))
    if not kinds or any(k not in Kind.values for k in kinds):
        raise ServiceError(_("Choose the kinds of outcome the round takes."), field="kinds")
    return kinds


def _clean_round(data: Mapping[str, Any], current: SelectionRound | None = None):
    out = dict(data)
    if "title" in out:
        out["title"] = clean_text(
            out["title"], field="title", label=_("Title"), limit=100, required=True
        )
    if "year" in out:
        out["year"] = _year(out["year"])
    if "kinds" in out:
        out["kinds"] = _kinds(out["kinds"])
    for name in ("opens_on", "closes_on"):
        if name in out:
            out[name] = _date(out[name], name)
    for name in ("school_quota", "county_quota", "city_quota"):
        if name in out:
            out[name] = chain.clean_quota(out[name], name)
    opens = out.get("opens_on", current.opens_on if current else None)
    closes = out.get("closes_on", current.closes_on if current else None)
    if opens and closes and closes < opens:
        raise ServiceError(_("Recommendations cannot close before they open."), field="closes_on")
    return out


def _active(r: SelectionRound) -> QuerySet[Entry]:
    return Entry.objects.filter(round=r, withdrawn_at__isnull=True)


@transaction.atomic
def create_round(
    *,
    actor,
    org_unit,
    title: str,
    kinds,
    opens_on,
    closes_on,
    year: int | None = None,
    school_quota: int = 3,
    county_quota: int = 10,
    city_quota: int = 20,
) -> SelectionRound:
    """A new selection round run by ``org_unit`` (a county, city or province bureau)."""
    if org_unit is None:
        raise ServiceError(_("Choose the unit that runs the round."), field="org_unit")
    require(actor, "add", SelectionRound(org_unit=org_unit))
    if org_unit.level not in chain.CHAIN[1:]:
        raise ServiceError(_("A round is run by a county, city or province."), field="org_unit")
    data = _clean_round(
        {
            "title": title,
            "year": year if year not in (None, "") else timezone.localdate().year,
            "kinds": kinds,
            "opens_on": opens_on,
            "closes_on": closes_on,
            "school_quota": school_quota,
            "county_quota": county_quota,
            "city_quota": city_quota,
        }
    )
    r = SelectionRound.objects.create(org_unit=org_unit, created_by=actor, **data)
    audit.record(actor, r, Action.CREATE, audit.snapshot(r, list(ROUND_FIELDS)))
    return r


@transaction.atomic
def update_round(
    *, actor, round: SelectionRound, data: Mapping[str, Any], expected_version: int | None = None
) -> SelectionRound:
    r = locked(actor, "change", round)
    check_version(r, expected_version)
    if r.announced_at is not None:
        raise ServiceError(_("The round's results are announced."), code="round_closed")
    clean = _clean_round({f: data[f] for f in ROUND_FIELDS if f in data}, current=r)
    apply_changes(actor, r, clean, list(clean))
    return r


def round_units(user, r: SelectionRound) -> list[OrgUnit]:
    return chain.round_units(user, r, MANAGERS)


def _pick_unit(actor, r: SelectionRound, outcome: Outcome, unit) -> OrgUnit:
    mine = round_units(actor, r)
    if unit is not None:
        for u in mine:
            if u.pk == unit.pk:
                return u
        raise ServiceError(
            _("You do not recommend for %(unit)s in this round.") % {"unit": unit.name},
            field="unit",
            code="not_your_level",
        )
    if not mine:
        raise ServiceError(
            _("You recommend for no unit in this round."), field="unit", code="not_your_level"
        )
    got = set(
        _active(r).filter(outcome=outcome, to_unit__in=mine).values_list("to_unit_id", flat=True)
    )
    for u in mine:
        if u.pk in got or (u.level == r.levels[0] and is_under(outcome.org_unit.path, u.path)):
            return u
    return mine[-1]


@transaction.atomic
def recommend(
    *,
    actor,
    round: SelectionRound,
    outcome: Outcome,
    unit: OrgUnit | None = None,
    note: str = "",
) -> Entry:
    """``unit`` (default: the actor's unit that can take it) sends ``outcome`` one level
    up — a school one of its outcomes, a county one recommended to it; at the top level
    the city selects it. Within the unit's quota, while the round is open; the round's
    row lock serialises concurrent recommendations."""
    r = chain.lock_round(actor, SelectionRound, round.pk)
    if outcome is None:
        raise ServiceError(_("Choose the outcome to recommend."), field="outcome")
    outcome = Outcome.objects.select_related("org_unit").get(pk=outcome.pk)
    u = _pick_unit(actor, r, outcome, unit)
    entry = Entry(round=r, outcome=outcome, level=u.level, org_unit=u)
    require(actor, "add", entry)
    chain.check_open(r)
    if outcome.kind not in r.kinds:
        raise ServiceError(
            _("This round takes %(kinds)s; “%(title)s” is a %(kind)s.")
            % {
                "kinds": "、".join(str(Kind(k).label) for k in r.kinds),
                "title": outcome.title,
                "kind": outcome.get_kind_display(),
            },
            field="outcome",
            code="wrong_kind",
        )
    if u.level == r.levels[0]:
        if not is_under(outcome.org_unit.path, u.path):
            raise ServiceError(
                _("“%(title)s” is not an outcome of %(unit)s.")
                % {"title": outcome.title, "unit": u.name},
                field="outcome",
                code="not_your_level",
            )
    else:
        entry.source = _active(r).filter(outcome=outcome, to_unit=u).first()
        if entry.source is None:
            raise ServiceError(
                _("“%(title)s” was not recommended to %(unit)s.")
                % {"title": outcome.title, "unit": u.name},
                field="outcome",
                code="not_your_level",
            )
    if _active(r).filter(outcome=outcome, level=u.level).exists():
        raise ServiceError(
            _("“%(title)s” is already recommended at this level.") % {"title": outcome.title},
            field="outcome",
            code="duplicate",
        )
    chain.check_quota(r, u, _active(r), field="outcome")
    entry.to_unit = chain.next_unit(r, u)
    entry.note = clean_text(note, field="note", label=_("Note"), limit=200)
    entry.recommended_by = actor
    entry.recommended_at = timezone.now()
    entry.save()
    audit.record(
        actor,
        entry,
        Action.CREATE,
        {
            "outcome": [None, outcome.title],
            "level": [None, entry.level],
            "to_unit": [None, entry.to_unit.name if entry.to_unit else None],
        },
    )
    return entry


@transaction.atomic
def withdraw(*, actor, entry: Entry) -> Entry:
    """Take a recommendation back while the round is open, unless the level above has
    chosen it already (core.rounds)."""
    return chain.withdraw(actor, SelectionRound, entry, "outcome")


# --- expert scoring at the top level ------------------------------------------------------


@transaction.atomic
def assign_expert(*, actor, entry: Entry, expert) -> ExpertScore:
    """The round's runners give an entry sent to the top level an expert — never one of
    the outcome's own unit, never one of its authors."""
    r = locked(actor, "change", SelectionRound.objects.get(pk=entry.round_id))
    entry = Entry.objects.select_related("outcome__org_unit", "to_unit").get(pk=entry.pk)
    if entry.withdrawn_at is not None or entry.to_unit_id != r.region.pk:
        raise ServiceError(
            _("Experts score the entries sent to the round's top level."), code="not_top"
        )
    if r.announced_at is not None:
        raise ServiceError(_("The round's results are announced."), code="round_closed")
    if expert is None:
        raise ServiceError(_("Choose the expert."), field="expert")
    if is_under(expert.org_unit.path, entry.outcome.org_unit.path) or (
        expert.org_unit_id == entry.outcome.org_unit_id
    ):
        raise ServiceError(
            _("An expert cannot score an outcome of their own unit."),
            field="expert",
            code="own_unit",
        )
    if entry.outcome.authors.filter(pk=expert.pk).exists():
        raise ServiceError(
            _("An expert cannot score an outcome they wrote."), field="expert", code="author"
        )
    if ExpertScore.objects.filter(entry=entry, expert=expert).exists():
        raise ServiceError(
            _("%(name)s already scores this outcome.") % {"name": expert.name},
            field="expert",
            code="duplicate",
        )
    row = ExpertScore.objects.create(entry=entry, expert=expert)
    audit.record(
        actor, row, Action.CREATE, {"expert": [None, expert.name], "entry": [None, entry.pk]}
    )
    if expert.user_id:
        url = r.get_absolute_url() + "scores/"
        title = _("Please score “%(title)s” in %(round)s") % {
            "title": entry.outcome.title,
            "round": r.title,
        }
        transaction.on_commit(lambda: notify([expert.user_id], title=title, url=url))
    return row


@transaction.atomic
def score(*, actor, expert_score: ExpertScore, score, comment: str = "") -> ExpertScore:
    """The expert gives their score (0–100) and comment, before the results are
    announced; the entry's mean score follows."""
    row = (
        ExpertScore.objects.select_for_update(of=("self",))
        .select_related("entry__round__org_unit")
        .get(pk=expert_score.pk)
    )
    require(actor, "change", row)
    if row.entry.round.announced_at is not None:
        raise ServiceError(_("The round's results are announced."), code="round_closed")
    try:
        value = Decimal(str(score).strip())
    except Exception:
        value = Decimal(-1)
    if not Decimal(0) <= value <= Decimal(100):
        raise ServiceError(_("A score is a number from 0 to 100."), field="score")
    before = row.score
    row.score = value.quantize(Decimal("0.01"))
    row.comment = clean_text(comment, field="comment", label=_("Comment"), limit=2000)
    row.scored_at = timezone.now()
    row.save(update_fields=["score", "comment", "scored_at"])
    mean = ExpertScore.objects.filter(entry_id=row.entry_id, score__isnull=False).aggregate(
        m=Avg("score")
    )["m"]
    Entry.objects.filter(pk=row.entry_id).update(
        score=Decimal(mean).quantize(Decimal("0.01")) if mean is not None else None
    )
    audit.record(
        actor, row, Action.UPDATE, {"score": [str(before) if before else None, str(row.score)]}
    )
    return row


# --- announcing ----------------------------------------------------------------------------


@transaction.atomic
def announce(*, actor, round: SelectionRound) -> SelectionRound:
    """Announce the results once recommendations have closed (the round's runners), in
    one batch: each outcome is honoured at the highest level that chose it (core.rounds);
    its authors are told."""
    r, honoured = chain.announce(actor, round, _active(round), "outcome")
    stamps.bump(POINTS)
    _tell_authors(r, honoured)
    return r


def _tell_authors(r: SelectionRound, entries: list[Entry]) -> None:
    through = Outcome.authors.through
    users: dict[int, set[int]] = {}
    for oid, uid in through.objects.filter(
        outcome_id__in=[e.outcome_id for e in entries], person__user__isnull=False
    ).values_list("outcome_id", "person__user_id"):
        users.setdefault(oid, set()).add(uid)
    notes = []
    for e in entries:
        ids = users.get(e.outcome_id, set())
        if e.outcome.created_by_id:
            ids.add(e.outcome.created_by_id)
        title = _("“%(title)s”: %(honour)s in %(round)s") % {
            "title": e.outcome.title,
            "honour": Honour(e.level).label,
            "round": r.title,
        }
        notes.append((ids, title, e.outcome.get_absolute_url()))

    def send():
        for ids, title, url in notes:
            notify(ids, title=title, url=url)

    transaction.on_commit(send)


# --- reads ---------------------------------------------------------------------------------


def rounds(user) -> QuerySet[SelectionRound]:
    return SelectionRound.objects.visible_to(user)


def entries(user) -> QuerySet[Entry]:
    return Entry.objects.visible_to(user)


def received(user, r: SelectionRound, units: Iterable[OrgUnit]) -> QuerySet[Entry]:
    """What was recommended to ``units`` in ``r`` (in force): a level's selection table."""
    return entries(user).filter(round=r, to_unit__in=list(units), withdrawn_at__isnull=True)


def sent(user, r: SelectionRound, units: Iterable[OrgUnit]) -> QuerySet[Entry]:
    return entries(user).filter(round=r, org_unit__in=list(units), withdrawn_at__isnull=True)


def selection_table(user, r: SelectionRound) -> QuerySet[Entry]:
    """The viewer's selection table: the entries sent to their units (the city's: with
    the experts' mean scores, best first), each marked chosen when their unit sent it on."""
    units = round_units(user, r)
    chosen = Entry.objects.filter(round=r, source_id=OuterRef("pk"), withdrawn_at__isnull=True)
    return (
        received(user, r, units)
        .select_related("outcome", "outcome__org_unit", "org_unit")
        .annotate(chosen=Exists(chosen), experts=Count("scores", distinct=True))
        .order_by("-score", "id")
    )


def candidates(user, r: SelectionRound, units: Iterable[OrgUnit]) -> QuerySet[Outcome]:
    """The outcomes of ``units`` (those of the round's first level) of the round's kinds
    and year, not yet recommended."""
    first = [u for u in units if u.level == r.levels[0]]
    if not first:
        return Outcome.objects.none()
    q = Q(pk__in=[])
    for u in first:
        q |= Q(org_unit__path__under=u.path)
    return (
        Outcome.objects.visible_to(user)
        .filter(q, kind__in=r.kinds)
        .exclude(pk__in=_active(r).filter(level=r.levels[0]).values("outcome_id"))
    )


def quota_rows(r: SelectionRound, units: Iterable[OrgUnit]) -> list[dict[str, Any]]:
    return chain.quota_rows(r, _active(r), units)


def results(user, r: SelectionRound) -> dict[str, list[Entry]]:
    """The announced results per level, highest first (what the viewer may see)."""
    if r.announced_at is None:
        return {}
    rows = (
        entries(user)
        .filter(round=r, honoured=True)
        .select_related("outcome", "outcome__org_unit")
        .order_by("-score", "id")
    )
    out: dict[str, list[Entry]] = {}
    for e in rows:
        out.setdefault(e.level, []).append(e)
    return dict(sorted(out.items(), key=lambda kv: -chain.level_order(kv[0])))


def my_scores(user) -> QuerySet[ExpertScore]:
    person_id = getattr(getattr(user, "person", None), "pk", None)
    if not person_id:
        return ExpertScore.objects.none()
    return (
        ExpertScore.objects.visible_to(user)
        .filter(expert_id=person_id)
        .select_related("entry__outcome", "entry__round", "entry__outcome__org_unit")
    )


def honours(user, outcome_ids: Iterable[int]) -> dict[int, list[Entry]]:
    ids = list(outcome_ids)
    if not ids:
        return {}
    out: dict[int, list[Entry]] = {}
    rows = entries(user).filter(outcome_id__in=ids, honoured=True).select_related("round")
    for e in rows.order_by("-round__opens_on", "id"):
        out.setdefault(e.outcome_id, []).append(e)
    return out
