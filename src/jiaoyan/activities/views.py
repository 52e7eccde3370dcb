"""Pages of research plans and activities. Thin: parse, call a query or a service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.communities.models import Community
from jiaoyan.core import audit, charts
from jiaoyan.core.dbrouter import replica_reads
from jiaoyan.core.lists import SortOption, paginate, querystring_without
from jiaoyan.core.pages import (
    FAILED,
    Column,
    ListPage,
    columns_response,
    creating,
    edit_page,
    editing,
    form_page,
    post_action,
    run_service,
    stored_file_response,
    updating,
    wants_export,
)
from jiaoyan.core.resolve import resolve
from jiaoyan.core.scope import can, get_visible_or_404, scope_paths
from jiaoyan.core.templatetags.links import safe_href
from jiaoyan.core.uploads import upload
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import codes, hooks, queries, services
from .filters import ActivityFilter, PlanFilter
from .forms import (
    ActivityForm,
    CheckinForm,
    DecisionForm,
    FeedbackForm,
    InviteForm,
    MaterialForm,
    MinutesForm,
    PlanForm,
    ReasonForm,
    RegisterForm,
    ThemeForm,
    VenueForm,
    default_organiser_unit,
    organiser_units,
)
from .models import (
    ORGANISERS,
    Activity,
    Decision,
    Material,
    MonthlyTheme,
    Participation,
    ResearchPlan,
    Venue,
)
from .sheets import ATTENDANCE_SHEET, AttendanceSheet

Status = Activity.Status


def _activity(request, pk: int, qs=None) -> Activity:
    base = (
        qs
        if qs is not None
        else Activity.objects.select_related(
            "org_unit", "subject", "stage", "host", "theme", "theme__plan", "community"
        )
    )
    return get_visible_or_404(base, request.user, pk=pk)


def _require_change(request, activity: Activity) -> None:
    if not can(request.user, "change", activity):
        raise PermissionDenied(_("Only the organisers of this activity can do this."))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def can_organise(user) -> bool:
    return bool(user.is_superuser or scope_paths(user, ORGANISERS))


# --- list, calendar, stats -----------------------------------------------------------

SORTS = [
    SortOption("starts", gettext_lazy("Time"), ("starts_at",)),
    SortOption("title", pgettext_lazy("activity", "Title"), ("title",)),
    SortOption("participants", gettext_lazy("Participants"), ("checked_in_count",)),
]


class ActivityList(ListPage):
    """Activities in scope (``?mine=1``: those the viewer takes part in), filtered and
    sorted; exported in the list's columns."""

    template = "activities/activity_list.html"
    fragment = "activities/_activity_table.html"
    filterset = ActivityFilter
    sorts = SORTS
    default_sort = "-starts"
    columns = [
        Column("编号", "pk", 8),
        Column("活动名称", "title", 36),
        Column("类型", "get_kind_display", 14),
        Column("级别", "get_level_display", 8),
        Column("组织单位", "org_unit.name", 24),
        Column("学科", "subject.name", 10),
        Column("学段", "stage.name", 8),
        Column("开始时间", "starts_at", 18),
        Column("结束时间", "ends_at", 18),
        Column("形式", "get_mode_display", 10),
        Column("状态", "get_status_display", 8),
        Column("参与人数", "participant_count", 8),
        Column("签到人数", "checked_in_count", 8),
        Column("评价人数", "feedback_count", 8),
        Column("平均评分", lambda a: a.average_rating or "", 8),
        Column("学时", lambda a: float(a.hours), 6),
    ]
    export_name = "教研活动"

    def get_queryset(self):
        qs = queries.for_list(queries.visible_activities(self.user))
        if self.request.GET.get("mine"):
            pid = queries.my_person_id(self.user)
            qs = qs.filter(pk__in=Participation.objects.filter(person_id=pid).values("activity_id"))
        return qs

    def export_rows(self, qs):
        return qs[:100000].iterator(chunk_size=2000)

    def get_context(self):
        return {"can_organise": can_organise(self.user)}


activity_list = ActivityList.as_view()


def _parse_date(raw: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return timezone.localdate()


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "month")
    if view not in {"month", "week", "list"}:
        view = "month"
    day = _parse_date(request.GET.get("date"))
    mine = bool(request.GET.get("mine"))
    ctx = {"view": view, "day": day, "mine": mine, "today": timezone.localdate()}
    if view == "month":
        first = day.replace(day=1)
        prev_month = (first - dt.timedelta(days=1)).replace(day=1)
        next_month = (first + dt.timedelta(days=32)).replace(day=1)
        ctx.update(
            grid=queries.month_grid(request.user, first.year, first.month, mine=mine),
            prev=prev_month,
            next=next_month,
        )
    elif view == "week":
        monday = day - dt.timedelta(days=day.weekday())
        ctx.update(
            days=queries.week_days(request.user, monday, mine=mine),
            prev=monday - dt.timedelta(days=7),
            next=monday + dt.timedelta(days=7),
            monday=monday,
        )
    else:
        end = day + dt.timedelta(days=31)
        qs = queries.for_list(queries.calendar_items(request.user, day, end, mine=mine))
        page = paginate(request, qs)
        ctx.update(
            page=page,
            prev=day - dt.timedelta(days=31),
            next=end,
            base_query=querystring_without(request, "page"),
        )
    return render(request, "activities/calendar.html", ctx)


STATS_COLUMNS = [
    Column("单位", "unit.name", 28),
    Column("活动数", "activities", 10),
    Column("已结束", "finished", 10),
    Column("签到人次", "participants", 10),
    Column("评价数", "feedback", 10),
    Column("平均评分", lambda r: r["average_rating"] or "", 10),
]


@replica_reads
@login_required
def stats(request: HttpRequest) -> HttpResponse:
    roots = queries.stats_roots(request.user)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    root = None
    if request.GET.get("unit"):
        root = get_visible_or_404(OrgUnit, request.user, pk=request.GET["unit"])
    elif roots:
        root = roots[0]
    filters = {}
    if request.GET.get("kind") in Activity.Kind.values:
        filters["kind"] = request.GET["kind"]
    data = queries.stats(request.user, root=root, year=year, filters=filters)
    if wants_export(request):
        return columns_response(
            STATS_COLUMNS,
            data["units"],
            filename=f"{year}年教研活动统计",
            sheet_title="活动统计",
            title=f"{year}年教研活动统计（{root.name if root else ''}）",
        )
    months = [f"{m}月" for m in range(1, 13)]
    return render(
        request,
        "activities/stats.html",
        {
            "data": data,
            "year": year,
            "root": root,
            "roots": roots,
            "kind": filters.get("kind", ""),
            "kinds": Activity.Kind.choices,
            "years": range(timezone.localdate().year + 1, timezone.localdate().year - 4, -1),
            "month_chart": charts.bar(months, data["by_month"], title=_("Activities per month")),
            "kind_chart": charts.pie(data["by_kind"], title=_("By kind")),
            "subject_chart": charts.bar(
                [d["name"] for d in data["by_subject"][:15]],
                [d["value"] for d in data["by_subject"][:15]],
                title=_("By subject"),
                horizontal=True,
            ),
            "export_query": querystring_without(request, "export"),
        },
    )


# --- create, edit, lifecycle -----------------------------------------------------------


def _host(request, staff_no: str) -> Person | None:
    staff_no = (staff_no or "").strip()
    if not staff_no:
        return getattr(request.user, "person", None)
    return resolve(request.user, Person, staff_no, field="host_staff_no", keys=("staff_no",))


@login_required
def activity_create(request: HttpRequest) -> HttpResponse:
    units = organiser_units(request.user)
    if not units.exists():
        raise PermissionDenied(_("You may not organise activities."))
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    initial = {
        "org_unit": default_organiser_unit(request.user, units),
        "starts_at": now + dt.timedelta(days=7, hours=1),
        "ends_at": now + dt.timedelta(days=7, hours=3),
        "hours": 2,
        "registration": Activity.Registration.INVITED,
    }
    if request.GET.get("theme"):
        initial["theme"] = request.GET["theme"]
    if request.GET.get("community", "").isdigit():
        initial["community"] = (
            Community.objects.visible_to(request.user)
            .filter(pk=int(request.GET["community"][:18]))
            .values_list("code", flat=True)
            .first()
        )
    form = ActivityForm(request.POST or None, user=request.user, initial=initial)

    def create(d):
        return services.create_activity(
            actor=request.user,
            org_unit=d["org_unit"],
            title=d["title"],
            kind=d["kind"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            mode=d["mode"],
            registration=d["registration"],
            subject=d["subject"],
            stage=d["stage"],
            host=_host(request, d["host_staff_no"]),
            theme=d["theme"],
            community=d["community"],
            hours=d["hours"],
            description=d["description"],
            venue_name=d["venue_name"],
            venue_address=d["venue_address"],
            venue_url=d["venue_url"],
            venue_capacity=d["venue_capacity"],
        )

    return form_page(
        request,
        form,
        create,
        template="activities/activity_form.html",
        success=_(
            "Activity created as a draft. Add sub-venues and invite people, then publish it."
        ),
    )


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    _require_change(request, activity)
    if activity.is_closed:
        messages.error(
            request,
            _(
                "A finished or cancelled activity can no longer be edited; only its minutes, "
                "materials and attendance can be corrected."
            ),
        )
        return redirect(activity)
    initial = editing(
        activity,
        services.ACTIVITY_FIELDS,
        starts_at=timezone.localtime(activity.starts_at),
        ends_at=timezone.localtime(activity.ends_at),
        host_staff_no=activity.host.staff_no if activity.host_id else "",
        community=activity.community.code if activity.community_id else "",
    )
    form = ActivityForm(request.POST or None, user=request.user, editing=True, initial=initial)

    def update(d, version):
        d["host"] = _host(request, d.pop("host_staff_no"))
        services.update_activity(
            actor=request.user, activity=activity, data=d, expected_version=version
        )

    return edit_page(
        request,
        form,
        update,
        template="activities/activity_form.html",
        context={"activity": activity},
        success=_("Saved."),
        redirect_to=activity,
    )


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    organiser = can(request.user, "change", activity)
    mine = queries.my_participation(request.user, activity)
    venues = queries.venues_with_counts(activity) if organiser else None
    ctx = {
        "activity": activity,
        "organiser": organiser,
        "mine": mine,
        "my_feedback": queries.my_feedback(request.user, activity) if mine else None,
        "venues": venues,
        "venue_list": None if organiser else list(activity.venues.select_related("unit")),
        "materials": list(queries.materials(activity).select_related("uploaded_by")),
        "can_add_material": services.can_add_material(request.user, activity),
        "decisions": list(activity.decisions.select_related("owner_unit")),
        "ledger_available": hooks.ledger_available(),
        "register_form": RegisterForm(
            activity=activity, initial={"venue": mine.venue_id if mine else None}
        ),
        "decline_form": ReasonForm(),
        "cancel_form": ReasonForm() if organiser else None,
        "panels": hooks.detail_panels(request, activity),
        "now": timezone.now(),
        "checkin_open": activity.is_open
        and activity.starts_at - services.CHECKIN_OPENS
        <= timezone.now()
        <= activity.ends_at + services.CHECKIN_CLOSES,
    }
    if organiser:
        fb = queries.feedback_summary(activity)
        ctx["feedback"] = fb
        ctx["feedback_chart"] = charts.bar(
            [f"{d['rating']}★" for d in fb["distribution"]],
            [d["count"] for d in fb["distribution"]],
            title=_("Ratings"),
        )
        ctx["history"] = audit.entries(activity, 30)
        ctx["totals"] = {
            k: sum(v[k] for v in venues)
            for k in ("active", "invited", "registered", "declined", "checked_in", "late", "absent")
        }
    return render(request, "activities/activity_detail.html", ctx)


def _transition_view(fn, success, *, with_reason: bool = False):
    """A button on the activity's page that moves it along its lifecycle (``with_reason``:
    the form says why, e.g. a cancellation, and everyone invited reads it)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        activity = _activity(request, pk)
        args = {"reason": request.POST.get("reason", "")} if with_reason else {}
        return post_action(
            request,
            lambda: fn(actor=request.user, activity=activity, **args),
            success=success,
            redirect_to=activity,
        )

    return view


activity_publish = _transition_view(
    services.publish_activity, gettext_lazy("Published: everyone invited was notified.")
)
activity_start = _transition_view(
    services.start_activity, gettext_lazy("The activity is in progress.")
)
activity_finish = _transition_view(
    services.finish_activity,
    gettext_lazy("The activity is finished: hours were credited to everyone who checked in."),
)
activity_cancel = _transition_view(
    services.cancel_activity,
    gettext_lazy("Cancelled: everyone invited was notified."),
    with_reason=True,
)


# --- venues -----------------------------------------------------------------------------


def _venue_form(request: HttpRequest, activity: Activity, venue: Venue | None) -> HttpResponse:
    """Adding a venue to ``activity`` or editing ``venue`` (one form, one template)."""
    _require_change(request, activity)
    initial = None
    if venue is not None:
        initial = editing(
            venue,
            ("name", "address", "online_url", "capacity"),
            unit_code=venue.unit.code if venue.unit_id else "",
        )
    form = VenueForm(
        request.POST or None,
        initial=initial,
        user=request.user,
        current_unit=venue.unit if venue is not None and venue.unit_id else None,
    )

    write = (
        creating(services.add_venue, request.user, activity=activity)
        if venue is None
        else updating(services.update_venue, request.user, venue=venue)
    )

    def save(d, version):
        d["unit"] = d.pop("unit_code")
        return write(d, version)

    return edit_page(
        request,
        form,
        save,
        template="activities/venue_form.html",
        context={"activity": activity, "venue": venue},
        success=_("Venue added.") if venue is None else _("Saved."),
        redirect_to=activity,
    )


@login_required
def venue_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _venue_form(request, _activity(request, pk), None)


@login_required
def venue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    venue = get_visible_or_404(
        Venue.objects.select_related("activity", "unit"), request.user, pk=pk
    )
    if request.method == "POST" and request.POST.get("delete"):
        _require_change(request, venue.activity)
        return post_action(
            request,
            lambda: services.delete_venue(actor=request.user, venue=venue),
            success=_("Venue removed."),
            redirect_to=venue.activity,
        )
    return _venue_form(request, venue.activity, venue)


# --- inviting, registering, declining --------------------------------------------------


@login_required
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    _require_change(request, activity)
    form = InviteForm(request.POST or None, user=request.user)
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        units = ([d["within"]] if d["within"] else []) + list(d["unit_codes"])
        ids, unknown = services.resolve_people(
            actor=request.user,
            units=units,
            subject=d["subject"],
            stage=d["stage"],
            roles=d["roles"] or ["teacher"],
            staff_numbers=d["staff_numbers"],
        )
        if unknown:
            form.add_error(
                "staff_numbers",
                _("Unknown staff numbers: %(nos)s") % {"nos": "、".join(unknown[:20])},
            )
        elif request.POST.get("confirm"):
            what = "；".join(
                x
                for x in [
                    "、".join(u.name for u in units),
                    d["subject"].name if d["subject"] else "",
                    d["stage"].name if d["stage"] else "",
                    f"{len(d['staff_numbers'])}人（工号）" if d["staff_numbers"] else "",
                    f"范围外工号{len(d['beyond_numbers'])}个" if d["beyond_numbers"] else "",
                ]
                if x
            )
            n = run_service(
                form,
                lambda d: services.invite(
                    actor=request.user,
                    activity=activity,
                    person_ids=ids,
                    audience_only=d["audience_only"],
                    description=what,
                    beyond_scope=d["beyond_numbers"],
                ),
            )
            if n is not FAILED:
                messages.success(
                    request,
                    _("%(n)d people were invited.") % {"n": n}
                    if not d["audience_only"]
                    else _("%(n)d people may now register.") % {"n": n},
                )
                return redirect(activity)
        else:
            preview = {  # people in the user's scope only; the others are a count of numbers
                "count": len(ids),
                "beyond": len(d["beyond_numbers"]),
                "sample": list(Person.objects.filter(pk__in=ids[:20]).select_related("org_unit")),
            }
    return render(
        request,
        "activities/invite.html",
        {"form": form, "activity": activity, "preview": preview},
    )


@login_required
@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    venue = activity.venues.filter(pk=_int(request.POST.get("venue"))).first()
    if venue is None:
        messages.error(request, _("Choose a venue."))
        return redirect(activity)
    return post_action(
        request,
        lambda: services.register(actor=request.user, activity=activity, venue=venue),
        success=_("You are registered at “%(venue)s”.") % {"venue": venue.name},
        redirect_to=activity,
    )


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    return post_action(
        request,
        lambda: services.decline(
            actor=request.user, activity=activity, reason=request.POST.get("reason", "")
        ),
        success=_("You declined; the organiser sees your reason."),
        redirect_to=activity,
    )


# --- attendance -------------------------------------------------------------------------


class AttendanceList(ListPage):
    """The attendance of one activity (one venue, present/absent/declined) for its
    organisers; exported as the attendance sheet (the file re-imports)."""

    template = "activities/attendance.html"
    fragment = "activities/_attendance_table.html"
    per_page = 50
    sheet = AttendanceSheet

    def __init__(self, request: HttpRequest, **kwargs) -> None:
        super().__init__(request, **kwargs)
        self.activity = _activity(request, kwargs["pk"])
        _require_change(request, self.activity)
        self.venue = None
        if request.GET.get("venue"):
            self.venue = self.activity.venues.filter(pk=_int(request.GET["venue"])).first()
            if self.venue is None:
                raise Http404
        self.status = request.GET.get("att")

    @property
    def export_name(self) -> str:  # type: ignore[override]
        title = f"{self.activity.title}{'·' + self.venue.name if self.venue else ''}"
        return f"签到表-{title}"[:60]

    def get_queryset(self):
        return queries.participants(self.activity, self.venue)

    def filter_queryset(self, qs):
        if self.status == "in":
            qs = qs.filter(attendance__in=["present", "late"])
        elif self.status == "out":
            qs = qs.exclude(attendance__in=["present", "late"]).exclude(status="declined")
        elif self.status == "declined":
            qs = qs.filter(status="declined")
        return qs

    def export_queryset(self, qs):
        return qs  # the organiser's rows, in the list's order

    def get_context(self):
        return {
            "activity": self.activity,
            "venue": self.venue,
            "venues": queries.venues_with_counts(self.activity),
            "att": self.status or "",
            "marks": ATTENDANCE_SHEET,
            "can_mark": self.activity.status not in {Status.DRAFT, Status.CANCELLED},
        }


_attendance_list = AttendanceList.as_view()


@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return _attendance_list(request, pk=pk)
    activity = _activity(request, pk)
    _require_change(request, activity)
    marks = {}
    for key, value in request.POST.items():
        if key.startswith("mark-") and value != "keep":
            try:
                marks[int(key[5:])] = value
            except ValueError:
                continue
    return post_action(
        request,
        lambda: services.mark_attendance(actor=request.user, activity=activity, marks=marks),
        success=lambda n: _("%(n)d attendance records changed.") % {"n": n},
        redirect_to=request.get_full_path(),
    )


# --- check-in ---------------------------------------------------------------------------


def _checkin_url(request, activity: Activity, venue: Venue, code: str) -> str:
    path = reverse("activities:checkin", args=[activity.pk])
    return request.build_absolute_uri(f"{path}?venue={venue.pk}&code={code}")


@login_required
def projector(request: HttpRequest, pk: int) -> HttpResponse:
    """The page shown on the venue's screen: the current code, its QR code, the count."""
    import segno

    venue = get_visible_or_404(Venue.objects.select_related("activity"), request.user, pk=pk)
    activity = venue.activity
    _require_change(request, activity)
    code, expires = codes.current_code(venue)
    qr = segno.make(_checkin_url(request, activity, venue, code), error="m")
    checked_in = venue.participations.filter(attendance__in=["present", "late"]).count()
    ctx = {
        "venue": venue,
        "activity": activity,
        "code": code,
        "expires": expires,
        "seconds": max(1, int((expires - timezone.now()).total_seconds())),
        "qr": qr.svg_data_uri(scale=8, border=2),
        "checked_in": checked_in,
        "open": activity.is_open,
    }
    template = "activities/_projector_code.html" if request.htmx else "activities/projector.html"
    return render(request, template, ctx)


@login_required
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """Phone page: check in from the QR code (code in the link) or by typing the code."""
    activity = _activity(request, pk, Activity.objects.select_related("org_unit"))
    initial = {"code": request.GET.get("code", ""), "venue": request.GET.get("venue")}
    form = CheckinForm(request.POST or None, initial=initial)
    result = None
    mine = queries.my_participation(request.user, activity)
    if request.method == "POST" and form.is_valid():
        venue = None
        if form.cleaned_data.get("venue"):
            venue = activity.venues.filter(pk=form.cleaned_data["venue"]).first()
        method = (
            Participation.Method.QR
            if request.POST.get("via") == "qr"
            else Participation.Method.CODE
        )
        done = run_service(
            form,
            lambda d: services.check_in(
                actor=request.user, activity=activity, code=d["code"], venue=venue, method=method
            ),
        )
        if done is not FAILED:
            part, new = done
            result = {"part": part, "new": new}
            mine = part
    return render(
        request,
        "activities/checkin.html",
        {
            "activity": activity,
            "form": form,
            "result": result,
            "mine": mine,
            "from_qr": bool(request.GET.get("code")),
        },
    )


# --- feedback ---------------------------------------------------------------------------


@login_required
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk, Activity.objects.select_related("org_unit"))
    existing = queries.my_feedback(request.user, activity)
    form = FeedbackForm(request.POST or None)
    context = {"activity": activity, "existing": existing}
    if existing is not None:  # one feedback per person: the page shows it
        return render(request, "activities/feedback.html", {"form": form, **context})
    return form_page(
        request,
        form,
        lambda d: services.give_feedback(
            actor=request.user, activity=activity, rating=d["rating"], comment=d["comment"]
        ),
        template="activities/feedback.html",
        context=context,
        success=_("Thank you for your feedback."),
        redirect_to=activity,
    )


# --- minutes, decisions, materials ------------------------------------------------------


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    _require_change(request, activity)
    form = MinutesForm(request.POST or None, initial=editing(activity, ["minutes"]))
    decision_form = DecisionForm()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "decision":
        decision_form = DecisionForm(request.POST)
        form = MinutesForm(initial=editing(activity, ["minutes"]))
        done = run_service(
            decision_form,
            lambda d: services.add_decision(actor=request.user, activity=activity, **d),
        )
        if done is not FAILED:
            messages.success(request, _("Decision recorded."))
            return redirect("activities:minutes", pk=activity.pk)
    elif action == "ledger":
        return post_action(
            request,
            lambda: services.send_decisions_to_ledger(actor=request.user, activity=activity),
            success=lambda n: _("%(n)d decisions were sent to the work ledger.") % {"n": n},
            redirect_to=reverse("activities:minutes", args=[activity.pk]),
        )
    elif request.method == "POST":
        done = run_service(
            form,
            lambda d: services.save_minutes(
                actor=request.user,
                activity=activity,
                minutes=d["minutes"],
                expected_version=d["version"],
            ),
        )
        if done is not FAILED:
            messages.success(request, _("Minutes saved."))
            return redirect(activity)
    return render(
        request,
        "activities/minutes.html",
        {
            "activity": activity,
            "form": form,
            "decision_form": decision_form,
            "decisions": list(activity.decisions.all()),
            "ledger_available": hooks.ledger_available(),
        },
    )


@login_required
@require_POST
def decision_delete(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_visible_or_404(Decision.objects.select_related("activity"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.delete_decision(actor=request.user, decision=decision),
        redirect_to=reverse("activities:minutes", args=[decision.activity_id]),
    )


def _may_add_material(request, user, kwargs) -> None:
    """The upload guard (core.uploads) of an activity's materials."""
    activity = get_visible_or_404(Activity, user, pk=kwargs["pk"])
    if not services.can_add_material(user, activity):
        raise PermissionDenied(_("Only the organisers and the host can add materials."))


@login_required
@upload("material", allowed=_may_add_material)
def material_add(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    if not services.can_add_material(request.user, activity):
        raise PermissionDenied(_("Only the organisers and the host can add materials."))
    initial = {"phase": "after" if activity.is_closed else "before"}
    form = MaterialForm(request.POST or None, request.FILES or None, initial=initial)
    return form_page(
        request,
        form,
        lambda d: services.add_material(
            actor=request.user,
            activity=activity,
            phase=d["phase"],
            kind=d["kind"],
            title=d["title"],
            upload=d["file"],
            url=d["url"],
        ),
        template="activities/material_form.html",
        context={"activity": activity},
        success=_("Material added."),
        redirect_to=activity,
    )


@login_required
def material_download(request: HttpRequest, pk: int) -> HttpResponse:
    material = get_visible_or_404(Material, request.user, pk=pk)
    if material.url:
        link = safe_href(material.url)
        if not link:
            raise Http404
        return redirect(link)
    return stored_file_response(material.file, material.file_name)


@login_required
@require_POST
def material_delete(request: HttpRequest, pk: int) -> HttpResponse:
    material = get_visible_or_404(Material.objects.select_related("activity"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.delete_material(actor=request.user, material=material),
        success=_("Material removed."),
        redirect_to=material.activity,
    )


# --- plans and themes -------------------------------------------------------------------


class PlanList(ListPage):
    """Research plans in scope, newest year first; exported in the list's columns."""

    template = "activities/plan_list.html"
    fragment = "activities/_plan_table.html"
    filterset = PlanFilter
    columns = [
        Column("年度", "year", 8),
        Column("单位", "org_unit.name", 28),
        Column("计划名称", "title", 40),
        Column("学科", "subject.name", 10),
        Column("学段", "stage.name", 8),
        Column("状态", "get_status_display", 8),
    ]
    export_name = "研修计划"
    export_title = "年度研修计划"

    def get_queryset(self):
        return queries.visible_plans(self.user).order_by("-year", "org_unit__path", "id")

    def export_rows(self, qs):
        return qs.iterator(chunk_size=2000)

    def get_context(self):
        return {"can_organise": can_organise(self.user)}


plan_list = PlanList.as_view()


def _plan_form(request: HttpRequest, form: PlanForm, plan: ResearchPlan | None) -> HttpResponse:
    """Writing a new plan or editing ``plan`` (one form, one template)."""

    return edit_page(
        request,
        form,
        creating(services.create_plan, request.user)
        if plan is None
        else updating(services.update_plan, request.user, plan=plan),
        template="activities/plan_form.html",
        context={"plan": plan},
        success=_("Plan created. Add a theme for each month, then publish it.")
        if plan is None
        else _("Saved."),
        redirect_to=plan,
    )


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    units = organiser_units(request.user)
    if not units.exists():
        raise PermissionDenied(_("You may not write research plans."))
    initial = {
        "org_unit": default_organiser_unit(request.user, units),
        "year": timezone.localdate().year,
        "parent": request.GET.get("parent"),
    }
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    return _plan_form(request, form, None)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(
        ResearchPlan.objects.select_related(
            "org_unit", "subject", "stage", "parent", "parent__org_unit"
        ),
        request.user,
        pk=pk,
    )
    coverage = queries.theme_coverage(request.user, plan)
    children = list(
        ResearchPlan.objects.visible_to(request.user)
        .filter(parent=plan)
        .select_related("org_unit")
        .order_by("org_unit__path")[:100]
    )
    editable = can(request.user, "change", plan)
    return render(
        request,
        "activities/plan_detail.html",
        {
            "plan": plan,
            "coverage": coverage,
            "covered": sum(1 for c in coverage if c["activities"]),
            "children": children,
            "can_change": editable,
            "can_nest": can_organise(request.user) and plan.status == "published",
            "can_organise": can_organise(request.user),
            "theme_form": ThemeForm() if editable else None,
            "history": audit.entries(plan, 20),
        },
    )


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(ResearchPlan, request.user, pk=pk)
    if not can(request.user, "change", plan):
        raise PermissionDenied(_("You may not change this plan."))
    initial = editing(plan, services.PLAN_FIELDS)
    form = PlanForm(request.POST or None, user=request.user, editing=True, initial=initial)
    return _plan_form(request, form, plan)


@login_required
@require_POST
def plan_publish(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(ResearchPlan, request.user, pk=pk)
    return post_action(
        request,
        lambda: services.publish_plan(actor=request.user, plan=plan),
        success=_("Published: the units below now see this plan."),
        redirect_to=plan,
    )


def _theme_form(
    request: HttpRequest, plan: ResearchPlan, theme: MonthlyTheme | None
) -> HttpResponse:
    """Adding a monthly theme to ``plan`` or editing ``theme`` (one form, one template)."""
    initial = None if theme is None else editing(theme, services.THEME_FIELDS)
    form = ThemeForm(request.POST or None, initial=initial)

    return edit_page(
        request,
        form,
        creating(services.add_theme, request.user, plan=plan)
        if theme is None
        else updating(services.update_theme, request.user, theme=theme),
        template="activities/theme_form.html",
        context={"plan": plan, "theme": theme},
        success=_("Theme added.") if theme is None else _("Saved."),
        redirect_to=plan,
    )


@login_required
def theme_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(ResearchPlan, request.user, pk=pk)
    if not can(request.user, "change", plan):
        raise PermissionDenied(_("You may not change this plan."))
    return _theme_form(request, plan, None)


@login_required
def theme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    theme = get_visible_or_404(MonthlyTheme.objects.select_related("plan"), request.user, pk=pk)
    plan = theme.plan
    if not can(request.user, "change", theme):
        raise PermissionDenied(_("You may not change this plan."))
    if request.method == "POST" and request.POST.get("delete"):
        return post_action(
            request,
            lambda: services.delete_theme(actor=request.user, theme=theme),
            success=_("Theme removed."),
            redirect_to=plan,
        )
    return _theme_form(request, plan, theme)
