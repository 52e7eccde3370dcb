"""The JSON API at /api/v1/ (django-ninja): authentication, errors, the paginator, the
router registry and the shared endpoints.

Two ways in: ``Authorization: Bearer TOKEN`` (personal access tokens, see
``people.services.create_token``) and the browser session (CSRF-checked on writes).
Every error is a 4xx with a JSON ``detail``; out-of-scope objects are 404, like pages; a
reference in a request (a unit, person … by id or code) that names nothing the caller
may see is 422, the same whether it is absent or out of scope (``core.resolve``).

Apps mount their routers from ``AppConfig.ready``::

    from jiaoyan.core.api import register_router
    register_router("jiaoyan.orgs.api.router")

and list endpoints use ``@paginated`` (``limit``/``offset`` in, ``{items, count}`` out).
Input is bounded for every operation (``core.api_input``: no integer beyond 64 bits, no
NaN; a PATCH's null only where ``changes(nullable=…)`` allows it) and the OpenAPI
document names every schema and enum once, qualified (``ObservationKind``).
The API is assembled when the URLconf asks for :func:`urls`, once every app is ready.
"""

import json
import logging
import threading

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import Field, File, Form, NinjaAPI, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import APIKeyCookie, HttpBearer

from . import api_input, artefacts
from .errors import ServiceError
from .imports import start_import
from .lists import UnitRanges, list_rows
from .models import ImportJob
from .resolve import Unresolved
from .scope import get_visible_or_404, user_scopes
from .uploads import may_import, upload

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from jiaoyan.people.services import authenticate_token

        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class Session(APIKeyCookie):
    """The pages' own session; unsafe methods must carry the CSRF token."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api = NinjaAPI(
    title="Jiaoyan API",
    version="1",
    description=(
        "教研平台接口。Authenticate with `Authorization: Bearer TOKEN` (create tokens on "
        "your account page or with `jiaoyan create_token USERNAME`). Every list takes "
        "`limit`/`offset` and answers `{items, count}`; every object carries `id` and, "
        "where it belongs somewhere, `org_unit`."
    ),
    auth=[BearerToken(), Session(csrf=True)],
    urls_namespace="api-1",
    parser=api_input.BoundedParser(),
)
api_input.install()


def _detail(request, message, status: int):
    return api.create_response(request, {"detail": message}, status=status)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _detail(request, _("Not found."), 404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _detail(request, str(exc) or _("Permission denied."), 403)


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    return _detail(request, exc.text, 400)


@api.exception_handler(Unresolved)
def _unresolved(request, exc: Unresolved):
    # The same status and body whether the object is absent or outside the scope.
    return api.create_response(
        request, {"detail": exc.text, "field": exc.field}, status=exc.status_code
    )


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return _detail(request, "；".join(exc.messages), 400)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _detail(request, _("Authentication required: a valid bearer token or session."), 401)


# Pydantic's messages (by error type) in the UI language; ``type``, ``loc`` and ``ctx``
# stay as pydantic gives them, so programs can rely on those.
_INPUT_MESSAGES = {
    "missing": _lazy("This field is required."),
    "extra_forbidden": _lazy("Unknown field."),
    "string_type": _lazy("Must be text."),
    "string_too_short": _lazy("Must have at least %(min_length)s characters."),
    "string_too_long": _lazy("Must have at most %(max_length)s characters."),
    "string_pattern_mismatch": _lazy("Has an invalid format."),
    "int_type": _lazy("Must be a whole number."),
    "int_parsing": _lazy("Must be a whole number."),
    "int_from_float": _lazy("Must be a whole number."),
    "float_type": _lazy("Must be a number."),
    "float_parsing": _lazy("Must be a number."),
    "bool_type": _lazy("Must be true or false."),
    "bool_parsing": _lazy("Must be true or false."),
    "date_type": _lazy("Must be a date (YYYY-MM-DD)."),
    "date_parsing": _lazy("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": _lazy("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": _lazy("Must be a date (YYYY-MM-DD)."),
    "datetime_type": _lazy("Must be a date and time (ISO 8601)."),
    "datetime_parsing": _lazy("Must be a date and time (ISO 8601)."),
    "datetime_from_date_parsing": _lazy("Must be a date and time (ISO 8601)."),
    "greater_than": _lazy("Must be greater than %(gt)s."),
    "greater_than_equal": _lazy("Must be at least %(ge)s."),
    "less_than": _lazy("Must be less than %(lt)s."),
    "less_than_equal": _lazy("Must be at most %(le)s."),
    "literal_error": _lazy("Must be one of: %(expected)s."),
    "enum": _lazy("Must be one of: %(expected)s."),
    "list_type": _lazy("Must be a list."),
    "too_short": _lazy("Must have at least %(min_length)s items."),
    "too_long": _lazy("Must have at most %(max_length)s items."),
    "dict_type": _lazy("Must be an object."),
    "model_type": _lazy("Must be an object."),
    "model_attributes_type": _lazy("Must be an object."),
    "json_invalid": _lazy("The request body is not valid JSON."),
    "not_nullable": _lazy("Must not be null: leave the field out to keep its value."),
}


def _input_error(error: dict) -> dict:
    template = _INPUT_MESSAGES.get(error.get("type", ""))
    if template is None:
        return error
    try:
        message = str(template) % (error.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return error
    return {**error, "msg": message}


@api.exception_handler(NinjaValidationError)
def _bad_input(request, exc: NinjaValidationError):
    return api.create_response(
        request, {"detail": [_input_error(e) for e in exc.errors]}, status=422
    )


# django-ninja's own English messages.
_HTTP_MESSAGES = {
    "Cannot parse request body": _lazy("The request body cannot be read (not valid JSON)."),
    "CSRF check Failed": _lazy(
        "The CSRF check failed: reload the page, or authenticate with a bearer token."
    ),
}


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, api_input.NumberOutOfRange):
        error = api_input.out_of_range_error(["body"])
        return api.create_response(request, {"detail": [error]}, status=422)
    message = str(exc)
    for prefix, translated in _HTTP_MESSAGES.items():
        if message.startswith(prefix):
            message = str(translated)
            break
    return _detail(request, message, exc.status_code)


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request, exc):
    return _detail(
        request,
        _("The request body cannot be read (a multipart/form-data body without a valid boundary)."),
        400,
    )


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("API error")
    return _detail(
        request,
        _("Internal error; reference %(ref)s") % {"ref": getattr(request, "request_id", "")[:12]},
        500,
    )


MAX_LIMIT = 500
MAX_OFFSET = 10**9  # beyond any list of ours; keeps OFFSET within the databases' integers


class PageIn(Schema):
    """``limit``/``offset`` of every list (bad values: 422 with a ``detail``)."""

    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"rows per page (1–{MAX_LIMIT})")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip")

    def slice(self, rows):
        """This page of ``rows`` (a list or a queryset)."""
        return rows[self.offset : self.offset + self.limit]


class LimitOffset(LimitOffsetPagination):
    """THE paginator of the API: ``limit``/``offset`` in, ``{items, count}`` out.

    A list ordered by its rows' unit path first is counted and sliced per unit
    (``core.lists.UnitRanges``); a page source with its own ``count()`` (a list whose
    count is known) is asked for it."""

    Input = PageIn

    def __init__(self, **kwargs) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def paginate_queryset(self, queryset, pagination, request, **params):
        ranges = UnitRanges.for_queryset(queryset)
        if ranges is None:
            rows = list_rows(queryset)
            return super().paginate_queryset(rows, pagination, request, **params)
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        return {
            self.items_attribute: ranges.slice(offset, offset + limit),
            "count": ranges.count(),
        }


paginated = paginate(LimitOffset)
"""Decorator of every list endpoint (under the route decorator): ``@paginated``."""


def changes(
    data: Schema,
    *,
    exclude: tuple[str, ...] = (),
    blank: tuple[str, ...] = (),
    nullable: tuple[str, ...] = (),
) -> dict:
    """The fields a PATCH body sent, for a service's ``data=`` (its ``version`` goes to
    ``expected_version``): all but ``version`` and ``exclude``, a null in a ``blank`` field
    (a text the model keeps as "") read as "".

    A PATCH schema's fields are all optional (left out: kept), so their type admits null;
    null is a value only where the field may be empty: ``nullable`` fields (null clears
    them) and ``blank`` ones. Anywhere else it is a 422 naming the field, not a
    NOT NULL failure in the database."""
    payload = data.dict(exclude_unset=True, exclude={"version", *exclude})
    for key in blank:
        if key in payload and payload[key] is None:
            payload[key] = ""
    refused = [
        {"type": "not_nullable", "loc": ["body", key], "msg": ""}
        for key, value in payload.items()
        if value is None and key not in nullable
    ]
    if refused:
        raise NinjaValidationError(refused)
    return payload


# --- shared endpoints -----------------------------------------------------------------

router = Router(tags=["account"])


class ScopeOut(Schema):
    role: str
    org_unit: int
    path: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    person: int | None
    scopes: list[ScopeOut]


@router.get("/me", response=MeOut, summary="The authenticated account and its scopes")
def me(request):
    user = request.auth
    person = getattr(user, "person", None)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.display_name,
        "person": person.pk if person else None,
        "scopes": [
            {"role": s.role, "org_unit": s.unit_id, "path": s.path} for s in user_scopes(user)
        ],
    }


imports_router = Router(tags=["imports"])


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str
    value: str = ""


class ImportJobOut(Schema):
    id: int
    kind: str
    status: str
    phase: str
    file_name: str
    dry_run: bool
    valid_only: bool
    params: dict
    total_rows: int
    processed_rows: int
    created: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    errors: list[ImportErrorOut]
    restricted: str | None = Field(
        None,
        description="The kind of restricted data the file holds (student_data …): cell "
        "values are then given only to holders of that permission who pass a reason",
    )
    values_shown: bool = Field(
        True, description="false: the errors' cell values are blanked (row, column and rule)"
    )
    file_kept: bool = Field(
        True, description="Is the uploaded file still stored (restricted files are not kept)"
    )
    org_unit: int | None

    @staticmethod
    def resolve_file_name(obj: ImportJob) -> str:
        return obj.original_name

    @staticmethod
    def resolve_created(obj: ImportJob):
        return obj.result.get("created")

    @staticmethod
    def resolve_updated(obj: ImportJob):
        return obj.result.get("updated")

    @staticmethod
    def resolve_unchanged(obj: ImportJob):
        return obj.result.get("unchanged")

    @staticmethod
    def resolve_errors(obj: ImportJob):
        return _report(obj).errors

    @staticmethod
    def resolve_restricted(obj: ImportJob):
        return _report(obj).restricted

    @staticmethod
    def resolve_values_shown(obj: ImportJob):
        return _report(obj).shown

    @staticmethod
    def resolve_file_kept(obj: ImportJob):
        return artefacts.file_kept(obj)

    @staticmethod
    def resolve_org_unit(obj: ImportJob):
        return obj.org_unit_id


def _may_import_kind(request, user, kwargs) -> None:
    may_import(user, kwargs.get("kind", ""))


def _report(obj: ImportJob) -> artefacts.Report:
    """The report as the endpoint read it for its caller (redacted when nobody did)."""
    report = getattr(obj, "_report", None)
    if report is None:
        report = obj._report = artefacts.report_for(None, obj)
    return report


@imports_router.post(
    "/imports/{kind}",
    response={202: ImportJobOut},
    summary="Upload a sheet (org_units, schools, people …); the import runs in the background. "
    "Kinds that need parameters take them as a JSON object in the form field params, "
    'e.g. {"exam": 5}',
)
@upload("sheet", allowed=_may_import_kind)
def create_import(
    request,
    kind: str,
    file: UploadedFile = File(...),
    dry_run: bool = Form(False),
    valid_only: bool = Form(False),
    params: str = Form(""),
):
    try:
        values = json.loads(params) if params.strip() else {}
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise ServiceError(_('params must be a JSON object, e.g. {"exam": 5}.'), field="params")
    job = start_import(
        actor=request.auth,
        kind=kind,
        filename=file.name or "upload.xlsx",
        data=file.read(),
        dry_run=dry_run,
        valid_only=valid_only,
        params=values,
    )
    imp = ImportJob.objects.select_related("job__org_unit").get(pk=job.pk)
    imp._report = artefacts.report_for(request.auth, imp)
    return Status(202, imp)


@imports_router.get(
    "/import-jobs/{job_id}",
    response=ImportJobOut,
    summary="An import's progress and report. When its file holds restricted data, the "
    "errors' cell values need that permission and a reason (?reason=…, audited)",
)
def get_import(request, job_id: int, reason: str = ""):
    imp = get_visible_or_404(
        ImportJob.objects.select_related("job__org_unit"), request.auth, pk=job_id
    )
    report = artefacts.report_for(request.auth, imp, reason)
    if report.problem:
        raise ServiceError(report.problem, field="reason")
    if reason.strip() and not report.shown and report.restricted:
        raise PermissionDenied(_("This needs the %(kind)s permission.") % {"kind": report.label})
    imp._report = report
    return imp


# --- the router registry -------------------------------------------------------------

_routers: list[tuple[str, Router | str]] = []
_mounted = False
_lock = threading.Lock()


def register_router(router: Router | str, prefix: str = "") -> None:
    """Mount ``router`` (a Router, or the dotted path of one: imported only when the API
    is assembled) under /api/v1/``prefix``. Apps call it in ``AppConfig.ready``."""
    with _lock:
        if _mounted:
            raise RuntimeError("The API is already assembled: register routers in ready().")
        if (prefix, router) not in _routers:
            _routers.append((prefix, router))


def registered_routers() -> list[tuple[str, Router | str]]:
    return list(_routers)


def get_api() -> NinjaAPI:
    """The API with every registered router mounted (assembled once, after all apps are
    ready)."""
    global _mounted
    with _lock:
        if not _mounted:
            apps.check_apps_ready()
            for prefix, router in _routers:
                api.add_router(prefix, router)
            _mounted = True
    return api


def urls():
    """For the URLconf: ``path("api/v1/", api_urls())``."""
    return get_api().urls
