"""Materials of an activity (before/during/after): files and links."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jiaoyan.core import audit, uploads
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import can
from jiaoyan.core.services import clean_link

from ..models import Activity, Material
from .common import Action, Status


def can_add_material(actor, activity: Activity) -> bool:
    if can(actor, "change", activity):
        return True
    person = getattr(actor, "person", None)
    return bool(person and activity.host_id == person.pk and can(actor, "view", activity))


@transaction.atomic
def add_material(
    *,
    actor,
    activity: Activity,
    phase: str,
    kind: str,
    title: str,
    upload=None,
    url: str = "",
) -> Material:
    activity = Activity.objects.get(pk=activity.pk)
    if not can_add_material(actor, activity):
        raise PermissionDenied(_("You do not have permission to do this here."))
    if activity.status == Status.CANCELLED:
        raise ServiceError(_("The activity is cancelled."))
    title = (title or "").strip()
    url = clean_link(url, field="url")
    if upload is None and not url:
        raise ServiceError(_("Attach a file or give a link."), field="file")
    if upload is not None and url:
        raise ServiceError(_("Attach a file or give a link, not both."), field="url")
    if phase not in Material.Phase.values:
        raise ServiceError(_("Choose when the material is used."), field="phase")
    if kind not in Material.Kind.values:
        raise ServiceError(_("Choose the kind of material."), field="kind")
    material = Material(
        activity=activity,
        phase=phase,
        kind=kind,
        title=(title or (upload.name if upload is not None else url))[:150],
        url=url,
        uploaded_by=actor,
    )
    if upload is not None:
        if upload.size > uploads.limit("material"):
            raise ServiceError(uploads.too_large_message("material"), field="file")
        material.file_name = (upload.name or "file")[-200:]
        material.size = upload.size
        material.file.save(material.file_name, upload, save=False)
    material.save()
    audit.record(
        actor,
        activity,
        Action.UPDATE,
        {"materials": [None, material.title]},
        message=_("Material added after the activity finished")
        if activity.status == Status.FINISHED
        else "",
    )
    return material


@transaction.atomic
def delete_material(*, actor, material: Material) -> None:
    activity = material.activity
    if not (
        can(actor, "delete", material)
        or (can_add_material(actor, activity) and material.uploaded_by_id == actor.pk)
    ):
        raise PermissionDenied(_("You do not have permission to do this here."))
    audit.record(actor, activity, Action.UPDATE, {"materials": [material.title, None]})
    if material.file:
        material.file.delete(save=False)
    material.delete()
