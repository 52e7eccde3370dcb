"""Pages of the work ledger (thin: parse, call a service or a query, render): the boards
(table and kanban, filters, counts, export), the supervision board, creating and editing
items, the item page with its progress history and the actions on it, and the import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit, charts
from jiaoyan.core.imports import start_import
from jiaoyan.core.lists import ListRows, SortOption, querystring_without
from jiaoyan.core.pages import (
    ListPage,
    edit_page,
    editing,
    file_download_view,
    form_page,
    post_action,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.core.uploads import upload
from jiaoyan.orgs.models import OrgUnit

from . import queries, services
from .forms import (
    BoardFilterForm,
    ItemForm,
    LedgerImportForm,
    NoteForm,
    ReasonForm,
    ReportForm,
    person_choices,
)
from .models import Attachment, Item, Status, Supervision
from .sheets import LedgerSheet

SORTS = [
    SortOption("due", gettext_lazy("Deadline"), ("due_on",)),
    SortOption("number", gettext_lazy("No."), ("org_unit_id", "number")),
    SortOption("priority", gettext_lazy("Priority"), ("priority_rank",)),
    SortOption("status", gettext_lazy("Status"), ("status",)),
    SortOption("percent", gettext_lazy("Progress"), ("percent",)),
    SortOption("updated", gettext_lazy("Updated"), ("updated_at",)),
]


# --- boards ------------------------------------------------------------------------------


class LedgerBoard(ListPage):
    """One board (mine, my unit's, assigned by me, under supervision) as a table or a
    kanban, with its filters and counts per status; exports in the ledger sheet's columns
    (the file re-imports)."""

    template = "ledger/board.html"
    fragment = "ledger/_board_table.html"
    sorts = SORTS
    default_sort = "due"
    sheet = LedgerSheet
    export_name = gettext_lazy("Work ledger")
    export_drop = ("view",)

    def __init__(self, request: HttpRequest, **kwargs) -> None:
        super().__init__(request, **kwargs)
        name = request.GET.get("board") or "mine"
        self.board = name if name in queries.BOARDS else "mine"
        self.view = "kanban" if request.GET.get("view") == "kanban" else "table"
        if self.view == "kanban":
            self.fragment = None  # the cards are the whole page, never a fragment
        self.form = BoardFilterForm(request.GET, user=self.user)
        self.filters = self.form.filters()

    def get_queryset(self):
        return queries.board_queryset(self.user, self.board)

    def filter_queryset(self, qs):
        # The counts per status read every filter but the status (one query).
        self.counts = queries.status_counts(queries.apply_filters(qs, self.filters, status=False))
        self.filtered = queries.apply_filters(qs, self.filters)
        return self.filtered.annotate(priority_rank=queries.priority_rank())

    def export_queryset(self, qs):
        return queries.for_list(self.filtered).order_by("org_unit_id", "number")

    def list_queryset(self, qs):
        count = queries.board_count(self.counts, self.filters.status)
        return ListRows(qs, count, fetch=queries.rows_by_id, ids_first=True)

    def paginate(self, rows):
        return None if self.view == "kanban" else super().paginate(rows)

    def get_context(self):
        counts = self.counts
        ctx = {
            "board": self.board,
            "boards": list(queries.BOARDS.items()),
            "view": self.view,
            "form": self.form,
            "filters": self.filters,
            "counts": counts,
            "status_cards": _status_cards(counts),
            "chart": charts.pie(
                [
                    {"name": str(label), "value": counts.get(s, 0)}
                    for s, label in Status.choices
                    if s != Status.CANCELLED
                ]
            ),
            "can_add": units_where(self.user, "add", Item).exists(),
            "today": timezone.localdate(),
            "query_noview": querystring_without(self.request, "page", "view"),
            "query_nostatus": querystring_without(self.request, "page", "status"),
        }
        if self.view == "kanban":
            ctx["columns"] = queries.kanban(self.filtered, counts, status=self.filters.status)
            ctx["sort"] = None
        return ctx


_board = LedgerBoard.as_view()


@login_required
def board(request: HttpRequest) -> HttpResponse:
    return _board(request)


def _status_cards(counts: dict[str, int]) -> list[dict]:
    cards = [
        {"key": s, "label": label, "n": counts.get(s, 0)}
        for s, label in Status.choices
        if s != Status.CANCELLED
    ]
    cards.append({"key": queries.OVERDUE, "label": _("Overdue"), "n": counts.get("overdue", 0)})
    return cards


class SupervisionList(ListPage):
    """The supervision board: open (or closed) supervisions of the units in scope."""

    template = "ledger/supervision.html"

    def get_queryset(self):
        self.closed = self.request.GET.get("closed") == "1"
        return queries.supervisions_for(
            self.user, state="closed" if self.closed else "open", supervising=True
        )

    def get_context(self):
        return {"closed": self.closed, "today": timezone.localdate()}


_supervision = SupervisionList.as_view()


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    return _supervision(request)


# --- items ---------------------------------------------------------------------------------


def _default_unit(user, units):
    person = getattr(user, "person", None)
    if person is not None and units.filter(pk=person.org_unit_id).exists():
        return person.org_unit_id
    first = units.first()
    return first.pk if first else None


def _observation_source(request: HttpRequest):
    """The submitted observation a new item is made from (``?observation=<id>``)."""
    raw = request.GET.get("observation") or request.POST.get("observation")
    if not raw:
        return None
    from jiaoyan.observations.models import Observation

    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    obs = get_visible_or_404(
        Observation.objects.select_related("org_unit", "teacher"), request.user, pk=pk
    )
    if obs.status != "submitted":
        raise Http404
    return obs


@login_required
def item_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = units_where(user, "add", Item)
    if not units.exists():
        raise PermissionDenied(_("You may not assign work."))
    observation = _observation_source(request)
    initial = {"org_unit": _default_unit(user, units.order_by("path"))}
    if observation is not None:
        first_line = (observation.suggestions or "").strip().splitlines()
        initial.update(
            {
                "title": (first_line[0] if first_line else observation.topic)[:200],
                "description": observation.suggestions,
                "responsible_unit": observation.org_unit,
                "responsible_person": observation.teacher_id,
            }
        )
    form = ItemForm(request.POST or None, user=user, initial=initial)
    if observation is not None:
        # The observed teacher's school answers for an observation's suggestions.
        del form.fields["responsible_unit"], form.fields["responsible_person"]

    def create(d):
        common = {
            "description": d["description"],
            "due_on": d["due_on"],
            "recurrence": d["recurrence"],
            "priority": d["priority"],
            "collaborators": list(d["collaborators"]),
            "tags": d["tags"],
            "remarks": d["remarks"],
        }
        if observation is not None:
            return services.create_item_from_observation(
                actor=user,
                observation=observation,
                org_unit=d["org_unit"],
                title=d["title"],
                **common,
            )
        return services.create_item(
            actor=user,
            org_unit=d["org_unit"],
            title=d["title"],
            responsible_unit=d["responsible_unit"],
            responsible_person=d["responsible_person"],
            **common,
        )

    return form_page(
        request,
        form,
        create,
        template="ledger/item_form.html",
        context={"item": None, "observation": observation},
        success=_("The item was added to the ledger."),
    )


@login_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item = queries.item_detail(user, pk)
    if not can(user, "change", item):
        raise PermissionDenied(_("You may not change this item."))
    initial = editing(
        item,
        ("title", "description", "responsible_unit", "due_on", "recurrence", "priority", "remarks"),
        responsible_person=item.responsible_person_id,
        collaborators=list(item.collaborations.values_list("unit_id", flat=True)),
        tags="、".join(item.tags.order_by("name").values_list("name", flat=True)),
    )
    form = ItemForm(request.POST or None, user=user, creating=False, initial=initial)

    def update(d, version):
        data = {k: d[k] for k in form.fields if k != "version"}
        data["collaborators"] = list(d["collaborators"])
        changes = services.update_item(actor=user, item=item, data=data, expected_version=version)
        if not changes:
            messages.info(request, _("Nothing was changed."))
        return changes

    return edit_page(
        request,
        form,
        update,
        template="ledger/item_form.html",
        context={"item": item, "observation": None},
        success=lambda changes: _("The item was saved.") if changes else None,
        redirect_to=item,
    )


@login_required
def person_options(request: HttpRequest) -> HttpResponse:
    """The responsible-person picker's options for the chosen unit (HTMX)."""
    try:
        unit_pk = int(request.GET.get("responsible_unit") or 0)
    except ValueError:
        unit_pk = 0
    unit = OrgUnit.objects.visible_to(request.user).filter(pk=unit_pk).first()
    people = person_choices(request.user, unit).values_list("pk", "name")
    return render(request, "ledger/_person_options.html", {"people": people})


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item = queries.item_detail(user, pk)
    sup = queries.open_supervision(item) if item.supervised_by_id else None
    may_change = can(user, "change", item)
    may_escalate = (
        item.is_open
        and sup is None
        and services.may_escalate(user, item)
        and (item.is_overdue or services.is_stuck(item))
    )
    ctx = {
        "item": item,
        "tags": list(item.tags.order_by("name")),
        "collaborators": list(
            OrgUnit.objects.filter(pk__in=item.collaborations.values("unit_id")).order_by("path")
        ),
        "reports": queries.reports_of(item),
        "supervision": sup,
        "may_report": item.is_open and services.may_report(user, item),
        "may_change": may_change,
        "may_edit": may_change and item.status in (*queries.OPEN_STATUSES, Status.DONE),
        "may_escalate": may_escalate,
        "may_close": sup is not None and services.may_close_supervision(user, sup),
        "report_form": ReportForm(),
        "reason_form": ReasonForm(initial={"version": item.version}),
        "note_form": NoteForm(initial={"version": item.version}),
        "source_activity_visible": bool(
            item.source_activity_id
            and item.source_activity.__class__.objects.visible_to(user)
            .filter(pk=item.source_activity_id)
            .exists()
        ),
        "source_observation_visible": bool(
            item.source_observation_id
            and item.source_observation.__class__.objects.visible_to(user)
            .filter(pk=item.source_observation_id)
            .exists()
        ),
        "history": audit.entries(item),
        "today": timezone.localdate(),
    }
    return render(request, "ledger/item_detail.html", ctx)


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version") or "") or None
    except ValueError:
        return None


def _act(request: HttpRequest, item: Item, call, done: str) -> HttpResponse:
    """Run one action's service on ``item``; back to the item with its message either way
    (a refused action changes nothing and says why)."""
    return post_action(request, call, success=done, redirect_to=item)


def _item_action(service, done: str, *, versioned: bool = True, **fields: str):
    """A POST view calling ``service(actor, item, <fields from the form>)``; ``fields``
    maps the service's argument to the form field. ``versioned``: the form carries the
    item's version, and the service refuses a stale one (``expected_version``)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        item = get_visible_or_404(Item, request.user, pk=pk)
        args = {arg: request.POST.get(name, "") for arg, name in fields.items()}
        if versioned:
            args["expected_version"] = _version(request)
        return _act(request, item, lambda: service(actor=request.user, item=item, **args), done)

    return view


def _may_report(request, user, kwargs) -> None:
    """The upload guard (core.uploads) of a progress report with attachments."""
    item = get_visible_or_404(Item, user, pk=kwargs["pk"])
    if not services.may_report(user, item):
        raise PermissionDenied(_("Only the responsible side can report progress on this item."))


def _may_import_ledger(request, user, kwargs) -> None:
    if not units_where(user, "import", Item).exists():
        raise PermissionDenied(_("You may not import a work ledger."))


@login_required
@require_POST
@upload("attachment", allowed=_may_report, files=services.MAX_ATTACHMENTS)
def item_report(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_visible_or_404(Item, request.user, pk=pk)
    return _act(
        request,
        item,
        lambda: services.report_progress(
            actor=request.user,
            item=item,
            text=request.POST.get("text", ""),
            percent=request.POST.get("percent", ""),
            files=request.FILES.getlist("files"),
        ),
        _("Your progress report was recorded."),
    )


item_verify = _item_action(services.verify, gettext_lazy("The item was verified."), note="note")
item_send_back = _item_action(
    services.send_back, gettext_lazy("The item was sent back."), reason="reason"
)
item_cancel = _item_action(
    services.cancel, gettext_lazy("The item was cancelled."), reason="reason"
)
item_escalate = _item_action(
    services.escalate,
    gettext_lazy("The item is now under supervision."),
    versioned=False,
    reason="reason",
)


@login_required
@require_POST
def supervision_close(request: HttpRequest, pk: int) -> HttpResponse:
    sup = get_visible_or_404(Supervision.objects.select_related("item"), request.user, pk=pk)
    return _act(
        request,
        sup.item,
        lambda: services.close_supervision(
            actor=request.user, supervision=sup, note=request.POST.get("note", "")
        ),
        _("The supervision was closed."),
    )


#: A progress report's file, for those who see the item.
attachment = file_download_view(Attachment)


# --- import ------------------------------------------------------------------------------


@login_required
@upload("sheet", allowed=_may_import_ledger)
def ledger_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = units_where(user, "import", Item)
    if not units.exists():
        raise PermissionDenied(_("You may not import a work ledger."))
    form = LedgerImportForm(
        request.POST or None,
        request.FILES or None,
        user=user,
        initial={"org_unit": _default_unit(user, units.order_by("path"))},
    )

    def start(d):
        upload = d["file"]
        return start_import(
            actor=user,
            kind=LedgerSheet.kind,
            filename=upload.name,
            data=upload.read(),
            dry_run=d["mode"] == "dry_run",
            valid_only=d["mode"] == "valid_only",
            params={"unit": d["org_unit"].pk},
        )

    return form_page(
        request,
        form,
        start,
        template="ledger/import.html",
        context={"template_url": reverse("core:import_template", args=["ledger"])},
    )
