"""Pages of communities of practice: the list, the forms, a community's workspace, the
members list (import/export), the assessment ranking, coverage, the upward report and a
bureau's settings. Thin: parse, call a query or a service, render."""

from __future__ import annotations

import contextlib
import datetime as dt
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.activities import queries as activity_queries
from jiaoyan.activities.models import ORGANISERS
from jiaoyan.core import audit, charts
from jiaoyan.core.lists import SortOption, querystring_without
from jiaoyan.core.pages import (
    Column,
    ListPage,
    columns_response,
    creating,
    edit_page,
    editing,
    file_download_view,
    form_page,
    post_action,
    post_form,
    updating,
    wants_export,
)
from jiaoyan.core.scope import can, get_visible_or_404, scope_paths
from jiaoyan.core.uploads import may_on, upload
from jiaoyan.orgs.models import OrgUnit

from . import policies, progress, queries, services
from .filters import CommunityFilter, MembershipFilter
from .forms import (
    CommunityForm,
    EvidenceForm,
    FileForm,
    LeaveForm,
    MemberForm,
    PointRuleForm,
    PolicyForm,
    TaskEditForm,
    TaskForm,
    TemplateForm,
    YearForm,
    default_owner,
    owner_units,
    settings_units,
)
from .models import (
    Community,
    CommunityTask,
    Kind,
    KindPolicy,
    Level,
    Measure,
    Membership,
    PointItem,
    PointRule,
    SharedFile,
    TaskTemplate,
    YearlyReport,
)
from .sheets import MembershipSheet


def _community(request, pk: int) -> Community:
    return get_visible_or_404(
        Community.objects.select_related("org_unit", "leader", "leading_school"),
        request.user,
        pk=pk,
    )


def _year(request, community: Community | None = None) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    if not 2000 <= year <= 2100:
        year = timezone.localdate().year
    if community is not None and not (community.start_on.year <= year <= community.end_on.year):
        year = min(max(year, community.start_on.year), community.end_on.year)
    return year


# --- list ------------------------------------------------------------------------------

SORTS = [
    SortOption("code", gettext_lazy("Code"), ("code",)),
    SortOption("name", gettext_lazy("Name"), ("name",)),
    SortOption("members", gettext_lazy("Members"), ("member_count",)),
]


class CommunityList(ListPage):
    """Communities in scope (and the viewer's own), filtered by kind, level and region."""

    template = "communities/community_list.html"
    fragment = "communities/_community_table.html"
    filterset = CommunityFilter
    sorts = SORTS
    default_sort = "code"
    columns = [
        Column("编号", "code", 14),
        Column("名称", "name", 30),
        Column("类型", "get_kind_display", 14),
        Column("级别", "get_level_display", 8),
        Column("所属单位", "org_unit.name", 24),
        Column("主持人/牵头学校", lambda c: str(c.leader or c.leading_school or ""), 16),
        Column("开始日期", "start_on", 12),
        Column("结束日期", "end_on", 12),
        Column("成员数", "member_count", 8),
    ]
    export_name = "三名+共同体"

    def get_queryset(self):
        return queries.visible_communities(self.user)

    def list_queryset(self, qs):
        return queries.for_list(qs)

    def get_context(self):
        return {"can_create": owner_units(self.user).exists()}


community_list = CommunityList.as_view()


class MembershipList(ListPage):
    """Members of the communities in scope; exported in the import's columns."""

    template = "communities/membership_list.html"
    fragment = "communities/_membership_table.html"
    filterset = MembershipFilter
    sorts = [SortOption("joined", gettext_lazy("Joined on"), ("community_id", "joined_on"))]
    default_sort = "joined"
    sheet = MembershipSheet

    def get_queryset(self):
        return Membership.objects.visible_to(self.user)

    def list_queryset(self, qs):
        return qs.select_related("community", "person", "person__org_unit", "school")


membership_list = MembershipList.as_view()


# --- create and edit --------------------------------------------------------------------


@login_required
def community_create(request: HttpRequest) -> HttpResponse:
    units = owner_units(request.user)
    if not units.exists():
        raise PermissionDenied(_("You may not create communities."))
    today = timezone.localdate()
    initial = {
        "org_unit": default_owner(request.user, units),
        "kind": request.GET.get("kind") or Kind.STUDIO,
        "start_on": today,
        "end_on": today.replace(year=today.year + 3),
    }
    form = CommunityForm(request.POST or None, user=request.user, initial=initial)

    return form_page(
        request,
        form,
        creating(services.create_community, request.user),
        template="communities/community_form.html",
        success=_("Community created. Add its members and the year's tasks."),
    )


@login_required
def community_edit(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    if not can(request.user, "change", community):
        raise PermissionDenied(_("Only the community's managers can do this."))
    form = CommunityForm(
        request.POST or None,
        user=request.user,
        editing=True,
        initial=editing(community, services.COMMUNITY_FIELDS),
    )
    return edit_page(
        request,
        form,
        updating(services.update_community, request.user, community=community),
        template="communities/community_form.html",
        context={"community": community},
        success=_("Saved."),
        redirect_to=community,
    )


# --- the workspace -----------------------------------------------------------------------


@login_required
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    year = _year(request, community)
    manager = can(request.user, "change", community)
    settings = policies.Settings()
    rules = settings.points(community.org_unit.path) if community.kind == Kind.STUDIO else ()
    # The year's held activities and observations are read once for the tasks and points.
    records = progress.YearRecords([community.pk], year, progress.online_thresholds([rules]))
    tasks = queries.tasks_with_progress(community, year, records)
    score = None
    if community.kind == Kind.STUDIO:
        score = progress.points([community], year, lambda c: rules, records)[community.pk]
    members = list(queries.members(community))
    activities = queries.community_activities(community, request.user)
    files = queries.shared_files(community)
    reports = list(
        YearlyReport.objects.filter(community=community).select_related("job").order_by("-id")[:5]
    )
    ctx = {
        "community": community,
        "year": year,
        "years": range(community.start_on.year, community.end_on.year + 1),
        "manager": manager,
        "members": members,
        "current_members": [m for m in members if m.left_on is None],
        "tasks": tasks,
        "evidence_tasks": [
            t
            for t in tasks
            if t["task"].measure == Measure.EVIDENCE
            and services.may_add_evidence(request.user, t["task"])
        ],
        "score": score,
        "score_rows": _score_rows(score),
        "activities": activities,
        "feed": queries.feed(
            community, tasks=tasks, members=members, activities=activities, files=files
        ),
        "files": files,
        "may_share": services.may_share_file(request.user, community),
        "file_form": FileForm(),
        "may_change_tasks": services.may_change_tasks(request.user, community),
        "reports": reports,
        "may_report": services.may_request_report(request.user, community),
        "member_form": MemberForm(user=request.user, community=community) if manager else None,
        "may_invite_across": can(request.user, "invite_across", community),
        "task_form": TaskForm(initial={"year": year, "target": 1}) if manager else None,
        "evidence_form": EvidenceForm(),
        "history": audit.entries(community, 20) if manager else None,
        "can_organise": services.may_organise_for(request.user, community)
        and bool(request.user.is_superuser or scope_paths(request.user, ORGANISERS)),
    }
    return render(request, "communities/community_detail.html", ctx)


def _score_rows(score) -> list[dict]:
    if score is None:
        return []
    return [
        {"item": label, "count": score.counts.get(item, 0), "points": score.points.get(item, 0)}
        for item, label in PointItem.choices
    ]


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    form = MemberForm(request.POST, user=request.user, community=community)

    def add(d):
        member = d["member"]
        return services.add_member(
            actor=request.user,
            community=community,
            person=None if community.members_are_schools else member,
            school=member if community.members_are_schools else None,
            role=d["role"],
            joined_on=d["joined_on"],
            across=d["across"],
        )

    return post_form(request, form, add, success=_("Member added."), redirect_to=community)


@login_required
@require_POST
def member_leave(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_visible_or_404(
        Membership.objects.select_related("community"), request.user, pk=pk
    )
    form = LeaveForm(request.POST)
    return post_form(
        request,
        form,
        creating(services.end_membership, request.user, membership=membership),
        success=_("The member has left."),
        redirect_to=membership.community,
    )


def _back(community: Community, year: int) -> str:
    return f"{community.get_absolute_url()}?year={year}"


@login_required
@require_POST
def tasks_generate(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    form = YearForm(request.POST)
    year = _year(request, community)
    if form.is_valid():
        year = form.cleaned_data["year"]
    return post_form(
        request,
        form,
        lambda d: services.generate_tasks(actor=request.user, community=community, year=year),
        success=lambda made: _("%(n)d tasks added from the template.") % {"n": len(made)},
        redirect_to=_back(community, year),
    )


@login_required
@require_POST
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    form = TaskForm(request.POST)
    return post_form(
        request,
        form,
        creating(services.add_task, request.user, community=community),
        success=_("Task added."),
        redirect_to=lambda t: _back(community, t.year) if t else community.get_absolute_url(),
    )


@login_required
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(
        CommunityTask.objects.select_related("community"), request.user, pk=pk
    )
    form = EvidenceForm(request.POST)
    return post_form(
        request,
        form,
        creating(services.add_evidence, request.user, task=task),
        success=_("Evidence recorded."),
        redirect_to=_back(task.community, task.year),
    )


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a task's title, target, due date and notes (optimistic locking)."""
    task = get_visible_or_404(
        CommunityTask.objects.select_related("community"), request.user, pk=pk
    )
    if not services.may_change_task(request.user, task):
        raise PermissionDenied(_("Only the community's managers and its leader can do this."))
    form = TaskEditForm(request.POST or None, initial=editing(task, services.TASK_FIELDS))
    return edit_page(
        request,
        form,
        updating(services.update_task, request.user, task=task),
        template="communities/task_form.html",
        context={"task": task, "community": task.community},
        success=_("Saved."),
        redirect_to=_back(task.community, task.year),
    )


@login_required
@require_POST
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(
        CommunityTask.objects.select_related("community"), request.user, pk=pk
    )
    return post_action(
        request,
        lambda: services.delete_task(actor=request.user, task=task),
        success=_("Removed."),
        redirect_to=_back(task.community, task.year),
    )


# --- the workspace's calendar and shared files ----------------------------------------------


@login_required
def community_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The community's activities by month (``?month=YYYY-MM``); on a phone each day
    with activities links to the list of that day (``?day=YYYY-MM-DD``)."""
    community = _community(request, pk)
    today = timezone.localdate()
    try:
        first = dt.date.fromisoformat((request.GET.get("month") or "") + "-01")
    except ValueError:
        first = today.replace(day=1)
    day = None
    with contextlib.suppress(ValueError):
        day = dt.date.fromisoformat(request.GET.get("day") or "")
        first = day.replace(day=1)
    if not 2000 <= first.year <= 2100:
        first = today.replace(day=1)
    grid = activity_queries.month_grid(request.user, first.year, first.month, community=community)
    start = day or first
    end = start + dt.timedelta(days=1) if day else (first + dt.timedelta(days=32)).replace(day=1)
    listed = activity_queries.calendar_items(request.user, start, end, community=community)
    return render(
        request,
        "communities/calendar.html",
        {
            "community": community,
            "grid": grid,
            "day": day,
            "listed": list(listed.select_related("org_unit")[:100]),
            "prev": (first - dt.timedelta(days=1)).strftime("%Y-%m"),
            "next": (first + dt.timedelta(days=32)).strftime("%Y-%m"),
            "this_month": first.strftime("%Y-%m"),
        },
    )


#: The upload guard (core.uploads) of the workspace's shared files, page and API.
may_share = may_on(
    Community,
    services.may_share_file,
    message=gettext_lazy("Only the community's members and managers share files."),
)


@login_required
@require_POST
@upload("attachment", allowed=may_share)
def file_share(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    return post_form(
        request,
        FileForm(request.POST, request.FILES),
        creating(services.share_file, request.user, community=community),
        success=_("The file is shared."),
        redirect_to=community,
    )


#: A shared file, always as a download (never shown inline).
file_download = file_download_view(SharedFile)


@login_required
@require_POST
def file_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(SharedFile.objects.select_related("community"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.delete_file(actor=request.user, file=row),
        success=_("Removed."),
        redirect_to=row.community,
    )


# --- the yearly report ---------------------------------------------------------------------


@login_required
@require_POST
def report_request(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    year = _year(request, community)
    with contextlib.suppress(ValueError):
        year = int(request.POST.get("year", year))
    return post_action(
        request,
        lambda: services.request_report(actor=request.user, community=community, year=year),
        redirect_to=lambda r: (
            reverse("communities:report_detail", args=[r.pk]) if r else community.get_absolute_url()
        ),
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A yearly report: the job's progress until the document is stored, then its
    download (``?download=1``)."""
    report = get_visible_or_404(
        YearlyReport.objects.select_related("community", "job"), request.user, pk=pk
    )
    if request.GET.get("download") and report.docx:
        with report.docx.open("rb") as f:
            data = f.read()
        name = f"{report.community.name}{report.year}年度报告.docx"
        response = HttpResponse(
            data,
            content_type=(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            ),
        )
        response["Content-Disposition"] = (
            f"attachment; filename=\"report-{report.pk}.docx\"; filename*=UTF-8''{quote(name)}"
        )
        return response
    if request.GET.get("download"):
        raise Http404(_("The document is not ready yet."))
    return render(
        request,
        "communities/report_detail.html",
        {"report": report, "community": report.community, "job": report.job},
    )


# --- the assessment ranking -------------------------------------------------------------------


RANKING_COLUMNS = [
    Column("名次", "rank", 6),
    Column("编号", "community.code", 14),
    Column("名称", "community.name", 30),
    Column("级别", lambda r: r["community"].get_level_display(), 8),
    Column("所属单位", "community.org_unit.name", 24),
    Column("积分", lambda r: float(r["score"].total), 8),
]


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    kind = request.GET.get("kind") if request.GET.get("kind") in Kind.values else Kind.STUDIO
    level = request.GET.get("level") if request.GET.get("level") in Level.values else ""
    rows = queries.ranking(queries.visible_communities(request.user), year, kind=kind, level=level)
    if wants_export(request):
        return columns_response(
            RANKING_COLUMNS,
            rows,
            filename=f"{year}年考核积分排名",
            sheet_title="考核积分",
        )
    roots = queries.roots_for(request.user)
    rules = policies.Settings().points(roots[0].path) if roots else policies.DEFAULT_POINTS
    rule_rows = [
        {
            "item": PointItem(r.item).label,
            "level": dict(PointRule._meta.get_field("level").choices).get(r.level, ""),
            "points": r.points,
            "min_participants": r.min_participants,
            "source": r.item != PointItem.PROJECT or progress.has_source(r.item),
        }
        for r in rules
    ]
    return render(
        request,
        "communities/assessment.html",
        {
            "rows": rows[:200],
            "count": len(rows),
            "year": year,
            "kind": kind,
            "level": level,
            "kinds": Kind.choices,
            "levels": Level.choices,
            "rules": rule_rows,
            "export_query": querystring_without(request, "export"),
        },
    )


# --- coverage and the upward report ---------------------------------------------------------


def _root(request) -> OrgUnit | None:
    roots = queries.roots_for(request.user)
    if request.GET.get("unit"):
        try:
            return get_visible_or_404(OrgUnit, request.user, pk=int(request.GET["unit"]))
        except ValueError:
            raise Http404 from None
    return roots[0] if roots else None


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    root = _root(request)
    if root is None:
        raise PermissionDenied(_("You hold no role whose coverage could be shown."))
    data = queries.coverage(root)
    return render(
        request,
        "communities/coverage.html",
        {"data": data, "root": root, "roots": queries.roots_for(request.user)},
    )


REPORT_COLUMNS = [
    Column("类型", "kind_label", 16),
    Column("级别", "level_label", 8),
    Column("共同体数", "communities", 10),
    Column("参与学校/人数", "participants", 12),
    Column("开展活动（场）", "activities", 12),
    Column("参与人次", "attendance", 10),
]


@login_required
def upward_report(request: HttpRequest) -> HttpResponse:
    root = _root(request)
    if root is None:
        raise PermissionDenied(_("You hold no role whose coverage could be shown."))
    year = _year(request)
    data = queries.upward_report(root, year)
    if wants_export(request):
        rows = list(data["rows"])
        for k in data["coverage"]["kinds"]:
            rows.append(
                {
                    "kind_label": k.label,
                    "level_label": "农村或薄弱占比",
                    "communities": "",
                    "participants": f"{k.share if k.share is not None else '—'}%",
                    "activities": f"目标{k.target}%",
                    "attendance": "达标" if k.met else "未达标",
                }
            )
        return columns_response(
            REPORT_COLUMNS,
            rows,
            filename=f"{root.name}{year}年三名+工作统计",
            sheet_title="三名+统计",
            title=f"{root.name}{year}年三名+工作统计表",
        )
    kinds = [str(label) for _k, label in Kind.choices]
    by_kind = {k: [0, 0] for k in Kind.values}
    for r in data["rows"]:
        by_kind[r["kind"]][0] += r["communities"]
        by_kind[r["kind"]][1] += r["activities"]
    return render(
        request,
        "communities/report.html",
        {
            "data": data,
            "root": root,
            "year": year,
            "roots": queries.roots_for(request.user),
            "count_chart": charts.bar(
                kinds, [by_kind[k][0] for k in Kind.values], title=_("Communities")
            ),
            "activity_chart": charts.bar(
                kinds, [by_kind[k][1] for k in Kind.values], title=_("Activities held")
            ),
            "share_chart": charts.bar(
                kinds,
                [float(k.share or 0) for k in data["coverage"]["kinds"]],
                title=_("Members from rural or weak schools (%)"),
            ),
            "export_query": querystring_without(request, "export"),
        },
    )


# --- a bureau's settings ----------------------------------------------------------------------


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    units = settings_units(request.user)
    if not units.exists():
        raise PermissionDenied(_("Only a bureau admin sets these."))
    ids = list(units.values_list("pk", flat=True))
    return render(
        request,
        "communities/settings.html",
        {
            "rules": PointRule.objects.visible_to(request.user)
            .filter(org_unit_id__in=ids)
            .select_related("org_unit"),
            "policies": KindPolicy.objects.visible_to(request.user)
            .filter(org_unit_id__in=ids)
            .select_related("org_unit"),
            "templates": TaskTemplate.objects.visible_to(request.user)
            .filter(org_unit_id__in=ids)
            .select_related("org_unit"),
            "defaults": policies.DEFAULT_POINTS,
            "rule_form": PointRuleForm(user=request.user),
            "policy_form": PolicyForm(user=request.user),
            "template_form": TemplateForm(user=request.user),
        },
    )


def _settings_form(form_class, service, done):
    """The POST of one of the settings page's forms: ``service`` with the form's fields."""

    @login_required
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        return post_form(
            request,
            form_class(request.POST, user=request.user),
            creating(service, request.user),
            success=done,
            redirect_to=reverse("communities:settings"),
        )

    return view


rule_save = _settings_form(
    PointRuleForm,
    services.save_point_rule,
    gettext_lazy("Saved: points recompute from the records."),
)
policy_save = _settings_form(PolicyForm, services.save_policy, gettext_lazy("Saved."))
template_add = _settings_form(
    TemplateForm, services.add_template, gettext_lazy("Task added to the template.")
)


@login_required
@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_visible_or_404(TaskTemplate, request.user, pk=pk)
    return post_action(
        request,
        lambda: services.delete_template(actor=request.user, template=template),
        success=_("Removed."),
        redirect_to=reverse("communities:settings"),
    )
