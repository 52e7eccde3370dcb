"""Demo data of the screening data's governance (after :mod:`.demo`): a year of audited
reads of identified records by every counsellor holding the permission (a few a month,
with the reasons counsellors give), and per county a few export requests awaiting
approval or rejected — so the read audit and the export list have rows at every scale.
Bulk-inserted (city: ~30,000 audit rows in seconds)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from jiaoyan.core import restricted
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.models import AuditLog

from .models import ExportRequest, Student, WellbeingPermission

READS_PER_COUNSELLOR = 18
REASONS = (
    "预警学生约谈前查看",
    "随访前回顾筛查结果",
    "与家长沟通前核对",
    "转介医院前准备材料",
    "复测安排",
    "班主任反映情况后查看",
)


@step(69)
def build_governance(ctx: DemoContext) -> None:
    rng = ctx.rng
    now = ctx.now
    with translation.override("zh-hans"):
        label = str(restricted.kind_of(restricted.WELLBEING).label)
    student_ct = ContentType.objects.get_for_model(Student)
    grants = list(
        WellbeingPermission.objects.filter(revoked_at__isnull=True).select_related(
            "user__person", "org_unit"
        )
    )
    keys: dict[int, list[tuple[int, str]]] = defaultdict(list)
    schools = {g.org_unit_id for g in grants}
    for pk, key, school_id in Student.objects.filter(school_id__in=schools).values_list(
        "pk", "key", "school_id"
    ):
        if len(keys[school_id]) < 200:
            keys[school_id].append((pk, key))
    rows = []
    for g in grants:
        students = keys.get(g.org_unit_id)
        if not students:
            continue
        person = getattr(g.user, "person", None)
        name = f"{person.name}（{g.user.username}）" if person else g.user.username
        for _i in range(READS_PER_COUNSELLOR):
            pk, key = rng.choice(students)
            reason = rng.choice(REASONS)
            rows.append(
                AuditLog(
                    timestamp=now - dt.timedelta(minutes=rng.randint(60, 365 * 24 * 60)),
                    actor_id=g.user_id,
                    actor_name=name,
                    source="web",
                    action=AuditLog.Action.VIEW,
                    content_type=student_ct,
                    object_id=pk,
                    object_repr=key,
                    unit_path=g.org_unit.path,
                    changes={"data_kind": [None, label], "reason": [None, reason]},
                    message=f"{g.org_unit.name}的{label}：{reason}"[:300],
                )
            )
    AuditLog.objects.bulk_create(rows, batch_size=5000)

    # A few export requests per county: one awaiting approval, one rejected.
    requests = []
    by_parent: dict[int, list] = defaultdict(list)
    for g in grants:
        by_parent[g.org_unit.parent_id].append(g)
    for gs in list(by_parent.values())[:200]:
        first = gs[0]
        requests.append(
            ExportRequest(
                org_unit=first.org_unit,
                what=ExportRequest.What.ALERTS,
                reason="转介医院需要预警学生名单",
                requested_by_id=first.user_id,
                created_at=now - dt.timedelta(days=rng.randint(1, 20)),
            )
        )
        if len(gs) > 1:
            requests.append(
                ExportRequest(
                    org_unit=first.org_unit,
                    what=ExportRequest.What.STUDENTS,
                    reason="家长会前核对名册",
                    requested_by_id=first.user_id,
                    status=ExportRequest.Status.REJECTED,
                    decided_by_id=gs[1].user_id,
                    decided_at=now - dt.timedelta(days=rng.randint(1, 20)),
                    created_at=now - dt.timedelta(days=rng.randint(21, 60)),
                )
            )
    ExportRequest.objects.bulk_create(requests, batch_size=2000)
    ctx.log(f"wellbeing governance: {len(rows)} audited reads, {len(requests)} export requests")
