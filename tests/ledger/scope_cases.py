"""Cross-district isolation of every scoped model of the work ledger: a row owned in 华州区
is invisible to everyone of 临渭区 (tests/core/test_scope_matrix.py).

Each case names the detail page, a list page that would show the row (the boards, the
supervision board, the brief archive) and the API paths."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.ledger import services
from jiaoyan.ledger.models import Attachment, Brief, Item, ProgressReport, Supervision
from tests.scope_cases import ScopeCase, register

TITLE = "华州区落实双减作业设计评比"


def _item(w, *, days: int = 20) -> Item:
    return services.create_item(
        actor=w.users["outsider"],
        org_unit=w.units["huazhou_bureau"],
        title=TITLE,
        responsible_unit=w.schools["school_c"].org_unit,
        responsible_person=w.people["teacher_c"],
        due_on=timezone.localdate() + dt.timedelta(days=days),
        allow_past_due=True,
        tags="双减",
    )


def _report(w) -> ProgressReport:
    return services.report_progress(
        actor=w.users["outsider"], item=_item(w), text="华州区已完成初评", percent=60
    )


def _attachment(w) -> Attachment:
    report = services.report_progress(
        actor=w.users["outsider"],
        item=_item(w),
        text="华州区评比方案",
        percent=30,
        files=[SimpleUploadedFile("华州区评比方案.pdf", b"%PDF-1.4 demo", "application/pdf")],
    )
    return report.attachments.get()


def _supervision(w) -> Supervision:
    # Overdue, then escalated by the unit above 华州区 (the city bureau).
    return services.escalate(
        actor=w.users["city_admin"], item=_item(w, days=-5), reason="华州区事项逾期未完成"
    )


def _brief(w) -> Brief:
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    return Brief.objects.create(
        org_unit=w.units["huazhou_bureau"],
        period_start=monday,
        period_end=monday + dt.timedelta(days=6),
        year=monday.year,
        title="华州区教研工作周简报",
        editor="华州区教育局",
        created_by=w.users["outsider"],
    )


def _progress_api(obj) -> str:
    item_id = obj.item_id if isinstance(obj, ProgressReport) else obj.report.item_id
    return f"/api/v1/ledger/items/{item_id}/progress"


register(
    ScopeCase(
        Item,
        _item,
        page=lambda i: f"/ledger/items/{i.pk}/",
        list_page="/ledger/?board=unit&status=all",
        api=lambda i: f"/api/v1/ledger/items/{i.pk}",
        api_list="/api/v1/ledger/items?limit=500",
        marker=lambda i: i.title,
    )
)
register(
    ScopeCase(
        ProgressReport,
        _report,
        api=_progress_api,
        marker=lambda r: r.text,
    )
)
register(
    ScopeCase(
        Attachment,
        _attachment,
        page=lambda a: f"/ledger/attachments/{a.pk}/",
        api=_progress_api,
        marker=lambda a: a.name,
    )
)
register(
    ScopeCase(
        Supervision,
        _supervision,
        list_page="/ledger/supervision/",
        viewer="city_admin",  # the board lists what the viewer's units escalated
        api=lambda s: f"/api/v1/ledger/supervisions/{s.pk}",
        api_list="/api/v1/ledger/supervisions?state=all&limit=500",
        marker=lambda s: s.reason,
    )
)
register(
    ScopeCase(
        Brief,
        _brief,
        page=lambda b: f"/ledger/briefs/{b.pk}/",
        list_page="/ledger/briefs/",
        marker=lambda b: b.title,
        list_refused=("teacher", "counsellor"),  # briefs are for admins, researchers, principals
    )
)
