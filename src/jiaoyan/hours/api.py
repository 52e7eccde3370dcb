"""API of hours: records (your own, and those of the people in your scope), categories,
cycle progress, external declarations (create with the evidence file, approve, reject),
certificates (your own, their PDFs) and the public verification of a certificate's code."""

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from jiaoyan.core.api import paginated
from jiaoyan.core.api_crud import Resource
from jiaoyan.core.resolve import resolve_optional
from jiaoyan.core.scope import can
from jiaoyan.core.uploads import upload
from jiaoyan.orgs.models import OrgUnit

from . import certificates, queries, services
from .models import Certificate, ExternalDeclaration, HoursCategory, HoursCycle, HoursRecord
from .schemas import (
    CategoryIn,
    CategoryOut,
    CertificateOut,
    CycleFilter,
    CycleOut,
    DecideIn,
    DeclarationFilter,
    DeclarationOut,
    HoursFilter,
    HoursOut,
    RejectIn,
    VerifyOut,
)

router = Router(tags=["hours"])

HOURS = HoursRecord.objects.select_related("person", "source_type")
CYCLES = HoursCycle.objects.select_related("person")
DECLARATIONS = ExternalDeclaration.objects.select_related("person")
CERTIFICATES = Certificate.objects.select_related("issuer", "person")


@router.get("/hours", response=list[HoursOut], summary="Hours records")
@paginated
def list_hours(request, filters: Query[HoursFilter]):
    qs = HOURS.visible_to(request.auth)
    qs = filters.filter(qs)
    if filters.mine:
        qs = qs.filter(person__user_id=request.auth.pk)
    return qs.order_by("-date", "-id")


Resource(router, "/hours/{record_id}", HOURS, out=HoursOut, name="hours").get()


categories = Resource(
    router,
    "/hours-categories/{category_id}",
    HoursCategory,
    out=CategoryOut,
    name="category",
    plural="categories",
)
categories.list(order=("order", "id")).get()
categories.create(services.create_category, CategoryIn, refs={"org_unit": OrgUnit})


@router.get("/hours-cycle", response={200: CycleOut, 404: dict}, summary="My current cycle")
def my_cycle(request):
    person = getattr(request.auth, "person", None)
    cycle = queries.current_cycle(request.auth, person) if person is not None else None
    if cycle is None:
        return Status(404, {"detail": _("You have no current cycle of hours.")})
    return cycle


cycles = Resource(router, "/hours-cycles/{cycle_id}", CYCLES, out=CycleOut, name="cycle")
cycles.list(filters=CycleFilter, order=("person_id", "-start_year")).get()


declarations = Resource(
    router,
    "/hours-declarations/{declaration_id}",
    DECLARATIONS,
    out=DeclarationOut,
    name="declaration",
)
declarations.list(filters=DeclarationFilter, order=("-created_at", "-id")).get()
declarations.action("approve", services.approve_declaration, body=DecideIn, optional=True)
declarations.action("reject", services.reject_declaration, body=RejectIn)
declarations.action("withdraw", services.withdraw_declaration)


class DeclarationIn(Schema):
    title: str
    organiser: str
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    category: int | None = None


@router.post(
    "/hours-declarations",
    response={201: DeclarationOut},
    summary="Declare external training (multipart: the fields and the evidence file)",
)
@upload("attachment", allowed=services.may_declare)
def create_declaration(request, data: Form[DeclarationIn], evidence: File[UploadedFile]):
    user = request.auth
    values = data.dict()
    category = resolve_optional(user, HoursCategory, values.pop("category"), field="category")
    decl = services.declare_external(actor=user, evidence=evidence, category=category, **values)
    return Status(201, declarations.answer(request, decl))


certs = Resource(
    router, "/certificates/{certificate_id}", CERTIFICATES, out=CertificateOut, name="certificate"
)


@router.get("/certificates", response=list[CertificateOut], summary="My certificates")
@paginated
def list_certificates(request):
    return queries.own_certificates(request.auth).order_by("-issued_on", "-id")


certs.get()


@router.get("/certificates/{certificate_id}/pdf", summary="A certificate as PDF")
def certificate_pdf(request, certificate_id: int):
    cert = certs.one(request, certificate_id)
    if not can(request.auth, "download", cert):
        raise Http404
    response = HttpResponse(certificates.render_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(certificates.pdf_name(cert))}"
    )
    return response


@router.get(
    "/certificates/verify/{code}",
    auth=None,
    response={200: VerifyOut, 404: dict, 429: dict},
    summary="Verify a certificate's code (no authentication; rate-limited)",
)
def verify_certificate(request, code: str = Path(..., max_length=64)):
    if not certificates.may_look_up(request):
        raise HttpError(429, _("Too many look-ups from your address; try again in a minute."))
    found = certificates.verify(code)
    if found is None:
        return Status(404, {"detail": _("No certificate has this code.")})
    return found
