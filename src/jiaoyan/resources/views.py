"""Resource library pages: the library list, my resources, a resource's page (its files,
where it is and why, the reviews its reader may see, the managers' and reviewer's
forms), the submit/edit form, the review queue and the review form, the curriculum
tree's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    Column,
    ListPage,
    creating,
    edit_page,
    editing,
    file_download_view,
    form_page,
    post_action,
    post_form,
)
from jiaoyan.core.resolve import resolve_many
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.core.uploads import may_on, upload
from jiaoyan.people.models import Person

from . import previews, queries, rounds, services, views_use
from .filters import ResourceFilter, ReviewFilter
from .forms import (
    CurriculumForm,
    DecisionForm,
    FileForm,
    ResourceEditForm,
    ResourceForm,
    ReviewerForm,
    ReviewForm,
)
from .models import CurriculumNode, Resource, ResourceFile, Review, Status

DENIED = _lazy("You do not have permission to do this here.")

COLUMNS = [
    Column(pgettext_lazy("resource", "Title"), "title", width=30),
    Column(_lazy("Kind"), "get_kind_display", width=12),
    Column(_lazy("Unit"), "org_unit.name", width=24),
    Column(_lazy("Stage"), "stage.name", width=8),
    Column(_lazy("Subject"), "subject.name", width=10),
    Column(_lazy("Grade"), "grade"),
    Column(_lazy("Textbook edition"), "edition", width=12),
    Column(_lazy("Authors"), lambda r: "、".join(p.name for p in r.authors.all()), width=20),
    Column(_lazy("Status"), "get_status_display", width=10),
    Column(_lazy("Published at"), "published_at"),
    Column(
        _lazy("Honours"),
        lambda r: "、".join(
            f"{e.round.title}·{e.get_level_display()}" for e in getattr(r, "honours", ())
        ),
        width=24,
    ),
]

#: Resources whose honours one query reads, in an export.
HONOURS_BATCH = 500


def _resource(request: HttpRequest, pk: int) -> Resource:
    return get_visible_or_404(
        Resource.objects.select_related("org_unit", "stage", "subject", "curriculum_node"),
        request.user,
        pk=pk,
    )


def _authors(user, text: str) -> list[Person]:
    """The authors typed as staff numbers (or ids), through the scoped resolver."""
    values = [v.strip() for v in (text or "").replace("，", ",").replace("、", ",").split(",")]
    return resolve_many(user, Person, [v for v in values if v], field="authors")


def _with_authors(service, user, **fixed):
    def perform(data, version=None):
        data = {k: v for k, v in data.items() if k != "version"}
        if data.get("authors"):
            data["authors"] = _authors(user, data["authors"])
        else:
            data.pop("authors", None)
        return service(actor=user, **fixed, **data)

    return perform


# --- lists -----------------------------------------------------------------------------------


class Library(ListPage):
    """The library: every resource the viewer sees — published ones of their units and
    the units above, and the ones they manage or wrote."""

    template = "resources/library.html"
    fragment = "resources/_resource_table.html"
    filterset = ResourceFilter
    sorts = [
        SortOption("created", pgettext_lazy("time", "Created"), ("created_at", "id")),
        SortOption("published", _lazy("Published at"), ("published_at", "id")),
    ]
    default_sort = "-created"
    columns = COLUMNS
    export_name = _lazy("Resource library")

    def get_queryset(self):
        return queries.library(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit", "stage", "subject").prefetch_related("authors")

    def get_context(self):
        # the page's rows come from visible_to (get_queryset): their honours are seen
        found = rounds.honours(self.user, [r.pk for r in self.page.object_list], visible=True)
        for r in self.page.object_list:
            r.honours = found.get(r.pk, [])
        return {"may_add": units_where(self.user, "add", Resource).exists(), "tab": "library"}

    def export_rows(self, qs):
        """The rows with their honours (校优/县优/市优 of announced rounds), read a batch of
        resources at a time."""
        rows = list(qs)
        for start in range(0, len(rows), HONOURS_BATCH):
            batch = rows[start : start + HONOURS_BATCH]
            found = rounds.honours(self.user, [r.pk for r in batch], visible=True)
            for r in batch:
                r.honours = found.get(r.pk, [])
        return rows


library = Library.as_view()


class Mine(Library):
    """The viewer's own resources, in every status."""

    template = "resources/mine.html"
    fragment = "resources/use/_mine_table.html"
    export_name = _lazy("My resources")
    columns = [
        *COLUMNS,
        Column(_lazy("Views"), "view_count"),
        Column(_lazy("Downloads"), "download_count"),
        Column(_lazy("Uses in lessons"), "use_count"),
        Column(_lazy("Average rating"), lambda r: r.rating_average or ""),
        Column(pgettext_lazy("count", "Ratings"), "rating_count"),
    ]

    def get_queryset(self):
        return queries.mine(self.user)

    def get_context(self):
        return {**super().get_context(), "tab": "mine"}


mine = Mine.as_view()


class ReviewQueue(ListPage):
    """The reviews assigned to the viewer: to do first, then done."""

    template = "resources/review_queue.html"
    fragment = "resources/_review_table.html"
    filterset = ReviewFilter
    filter_defaults = {"status": Review.State.ASSIGNED}
    sorts = [SortOption("assigned", _lazy("Assigned at"), ("assigned_at", "id"))]
    default_sort = "-assigned"
    columns = [
        Column(_lazy("Resource"), "resource.title", width=30),
        Column(_lazy("Unit"), "resource.org_unit.name", width=24),
        Column(_lazy("Review round"), "round"),
        Column(_lazy("Status"), "get_status_display", width=10),
        Column(_lazy("Total score"), lambda r: float(r.total) if r.total is not None else ""),
        Column(_lazy("Assigned at"), "assigned_at"),
    ]
    export_name = _lazy("My reviews")

    def get_queryset(self):
        return queries.review_queue(self.user)

    def list_queryset(self, qs):
        return qs.select_related("resource", "resource__org_unit")


review_queue = ReviewQueue.as_view()


# --- a resource ------------------------------------------------------------------------------


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    r = _resource(request, pk)
    may_change = can(user, "change", r)
    may_manage = services.may_manage(user, r)
    reviews = queries.reviews_of(user, r)
    files = queries.files_of(user, r)
    ctx = {
        "resource": r,
        "authors": list(r.authors.all()),
        "files": files,
        "previews": previews.previews_of(files),
        "events": queries.events_of(user, r),
        "reviews": reviews,
        "current_reviews": [v for v in reviews if v.round == r.round],
        "may_change": may_change,
        "may_delete": can(user, "delete", r),
        "may_manage": may_manage,
        "show_reviewers": may_manage,
        "my_review": queries.my_review(user, r),
        "file_form": FileForm(),
        "reviewer_form": ReviewerForm(user=user) if may_manage else None,
        "decision_form": DecisionForm() if may_manage else None,
        "history": audit.entries(r) if (may_change or may_manage) else [],
        "honours": rounds.honours(user, [r.pk]).get(r.pk, []),
        **views_use.detail_context(request, r),  # counts the view (one INSERT)
    }
    return render(request, "resources/detail.html", ctx)


def _may_create(user) -> None:
    if not units_where(user, "add", Resource).exists():
        raise PermissionDenied(DENIED)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    _may_create(request.user)
    form = ResourceForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        _with_authors(services.create_resource, request.user),
        template="resources/form.html",
        success=_("The draft was saved. Attach its files, then submit it."),
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    r = _resource(request, pk)
    if not can(request.user, "change", r):
        raise PermissionDenied(DENIED)
    initial = editing(
        r,
        ("kind", "title", "summary", "grade", "edition", "visibility", "video_link"),
        subject=r.subject_id,
        stage=r.stage_id,
        curriculum_node=r.curriculum_node_id,
        themes=", ".join(r.themes),
        authors=", ".join(p.staff_no for p in r.authors.all()),
    )
    form = ResourceEditForm(request.POST or None, initial=initial, user=request.user)

    def save(data, version):
        if data.get("authors"):
            data["authors"] = _authors(request.user, data["authors"])
        else:
            data.pop("authors", None)
        return services.update_resource(
            actor=request.user, resource=r, data=data, expected_version=version
        )

    return edit_page(
        request,
        form,
        save,
        template="resources/form.html",
        context={"resource": r},
        success=_("The resource was saved."),
        redirect_to=r,
    )


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    r = _resource(request, pk)
    return post_action(
        request,
        lambda: services.delete_resource(actor=request.user, resource=r),
        success=_("The draft was deleted."),
        redirect_to=reverse("resources:mine"),
    )


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    r = _resource(request, pk)
    return post_action(
        request,
        lambda: services.submit_resource(actor=request.user, resource=r),
        success=_("Submitted for review."),
        redirect_to=r,
    )


# The page's and the API's upload guard: the user sees the resource, and is its author
# while it is a draft (checked before any byte of the file is read).
may_attach = may_on(
    Resource,
    services.may_attach,
    message=_lazy("Only the authors add files, while the resource is a draft."),
)


@login_required
@require_POST
@upload("resource", allowed=may_attach)
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    r = _resource(request, pk)
    return post_form(
        request,
        FileForm(request.POST, request.FILES),
        creating(services.attach_file, request.user, resource=r),
        success=_("The file was added."),
        redirect_to=r,
    )


@login_required
@require_POST
def file_remove(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(ResourceFile.objects.select_related("resource"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.remove_file(actor=request.user, file=row),
        success=_("The file was removed."),
        redirect_to=row.resource,
    )


#: A resource's file, always as a download with the type its content was sniffed as;
#: counted (one INSERT, once a day per viewer).
file_download = file_download_view(
    ResourceFile.objects.select_related("resource"),
    content_type="content_type",
    before=lambda request, row: views_use.count_download(request, row.resource),
)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    r = _resource(request, pk)
    if not services.may_manage(request.user, r):
        raise PermissionDenied(DENIED)
    return post_form(
        request,
        ReviewerForm(request.POST, user=request.user),
        creating(services.assign_reviewer, request.user, resource=r),
        success=_("The reviewer was assigned and told."),
        redirect_to=r,
    )


@login_required
@require_POST
def unassign(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_visible_or_404(Review.objects.select_related("resource"), request.user, pk=pk)
    return post_action(
        request,
        lambda: services.unassign_reviewer(actor=request.user, review=review),
        success=_("The reviewer was removed."),
        redirect_to=review.resource,
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    r = _resource(request, pk)
    messages = {
        "publish": _("The resource is published."),
        "return": _("The resource was returned to its authors with your comments."),
        "reject": _("The resource was rejected."),
    }
    return post_form(
        request,
        DecisionForm(request.POST),
        creating(services.decide, request.user, resource=r),
        success=lambda res: messages.get(request.POST.get("decision", ""), ""),
        redirect_to=r,
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review form: the resource's facts and files, one score per criterion."""
    rv = get_visible_or_404(
        Review.objects.select_related("resource", "resource__org_unit", "reviewer"),
        request.user,
        pk=pk,
    )
    if not can(request.user, "change", rv):
        raise PermissionDenied(DENIED)
    form = ReviewForm(request.POST or None, review=rv)
    r = rv.resource
    return form_page(
        request,
        form,
        lambda data: services.record_review(
            actor=request.user, review=rv, **form.service_data(data)
        ),
        template="resources/review_form.html",
        context={
            "review": rv,
            "resource": r,
            "files": queries.files_of(request.user, r),
            "open": r.status == Status.IN_REVIEW and rv.round == r.round,
        },
        success=_("Your review was recorded."),
        redirect_to=reverse("resources:reviews"),
    )


# --- the curriculum tree ---------------------------------------------------------------------


@login_required
def curriculum(request: HttpRequest) -> HttpResponse:
    """The curriculum tree of a subject and edition (everyone reads it: authors name a
    chapter by its number); bureau admins add to it."""
    may_edit = services.may_edit_curriculum(request.user)
    form = CurriculumForm(request.POST or None, user=request.user) if may_edit else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(DENIED)
        return form_page(
            request,
            form,
            creating(services.add_curriculum_node, request.user),
            template="resources/curriculum.html",
            success=_("The chapter was added."),
            redirect_to=lambda node: (
                f"{reverse('resources:curriculum')}?subject={node.subject_id}&edition={node.edition}"
            ),
        )
    editions = list(
        CurriculumNode.objects.values_list("subject_id", "subject__name", "edition")
        .distinct()
        .order_by("subject_id", "edition")[:200]
    )
    subject = request.GET.get("subject", "")
    edition = request.GET.get("edition", "")
    nodes = []
    if subject.isdigit() and edition:
        rows = list(
            CurriculumNode.objects.filter(subject_id=int(subject), edition=edition[:40]).order_by(
                "order", "id"
            )[:2000]
        )
        children: dict[int | None, list] = {}
        for n in rows:
            children.setdefault(n.parent_id, []).append(n)

        def walk(parent, depth):
            for n in children.get(parent, []):
                n.depth = depth
                nodes.append(n)
                walk(n.pk, depth + 1)

        walk(None, 0)
    return render(
        request,
        "resources/curriculum.html",
        {
            "form": form,
            "editions": editions,
            "nodes": nodes,
            "subject": subject,
            "edition": edition,
        },
    )
