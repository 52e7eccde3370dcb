"""Previews of a resource's files on its page (and on the public 云课堂 page).

What a file is shown as follows from the type its content was sniffed as when it was
stored (``core.uploads.sniff``), never from its name:

* a PDF in a frame, served inline as ``application/pdf``;
* an image in an ``<img>``; audio in an ``<audio>`` and video in a ``<video>`` player,
  whose seeks are byte ranges (``core.pages.stored_file_response`` answers them);
* an office document (Word, PowerPoint, Excel and their OpenDocument kin) as its PDF
  rendition, made in the background when the file is attached by an office converter
  (LibreOffice ``soffice --headless --convert-to pdf``, found at run time; a child
  process with a time limit); with no converter installed the page says so and offers
  the download;
* anything else: the download only.

Only :data:`jiaoyan.core.pages.INLINE_TYPES` are ever served inline; pages, scripts,
SVG and programs are refused at upload, and would be attachments anyway. Reading a
preview writes nothing. A rendition is stored beside the files under a name derived
from its file's stored name, so it needs no row of its own and goes with its file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.jobs import Job, JobError, job_kind, start_job
from jiaoyan.core.pages import INLINE_TYPES

from .models import ResourceFile

CONVERT = "resources.office_pdf"

#: Office documents an office converter turns into a PDF.
OFFICE_TYPES = frozenset(
    {
        "application/msword",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.presentation",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)

# How a file is shown.
PDF, IMAGE, VIDEO, AUDIO, RENDITION, PENDING, FAILED, NO_CONVERTER, DOWNLOAD = (
    "pdf",
    "image",
    "video",
    "audio",
    "rendition",
    "pending",
    "failed",
    "no_converter",
    "download",
)


def converter() -> str | None:
    """The office converter's program (``settings.OFFICE_CONVERTER``, else ``soffice`` or
    ``libreoffice`` on the PATH); None when there is none (``OFFICE_CONVERTER = ""``
    turns it off)."""
    configured = getattr(settings, "OFFICE_CONVERTER", None)
    if configured is not None:
        return shutil.which(configured) if configured else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def timeout() -> float:
    return float(getattr(settings, "OFFICE_CONVERT_SECONDS", 120))


def rendition_name(row: ResourceFile) -> str:
    """Where the PDF rendition of ``row`` is stored: derived from the file's stored name,
    so a replaced file never shows another's rendition."""
    digest = hashlib.sha256(f"{row.pk}:{row.file.name}".encode()).hexdigest()[:16]
    return f"resources/previews/{row.pk}-{digest}.pdf"


def has_rendition(row: ResourceFile) -> bool:
    return row.file.storage.exists(rendition_name(row))


@dataclass(frozen=True)
class Preview:
    """How one file is shown: ``mode`` (one of the constants above) and the file."""

    mode: str
    file: ResourceFile

    @property
    def inline(self) -> bool:
        return self.mode in (PDF, IMAGE, VIDEO, AUDIO, RENDITION)


def preview_of(row: ResourceFile, *, available: str | bool | None = False) -> Preview:
    """How ``row`` is shown (reads the storage for an office document's rendition;
    writes nothing). ``available``: the converter, when the caller already looked."""
    ct = row.content_type
    if ct == "application/pdf":
        return Preview(PDF, row)
    if ct in INLINE_TYPES:
        if ct.startswith("image/"):
            return Preview(IMAGE, row)
        if ct.startswith("video/"):
            return Preview(VIDEO, row)
        if ct.startswith("audio/"):
            return Preview(AUDIO, row)
    if ct in OFFICE_TYPES:
        if has_rendition(row):
            return Preview(RENDITION, row)
        found = converter() if available is False else available
        if not found:
            return Preview(NO_CONVERTER, row)
        return Preview(FAILED if conversion_failed(row) else PENDING, row)
    return Preview(DOWNLOAD, row)


def conversion_failed(row: ResourceFile) -> bool:
    """Did the last conversion of ``row`` fail (or none was started)?"""
    job = Job.objects.filter(kind=CONVERT, params__file=row.pk).order_by("-id").first()
    return job is None or job.status in (Job.Status.FAILED, Job.Status.CANCELLED)


def previews_of(rows: list[ResourceFile]) -> list[Preview]:
    """The previews of a resource's files, in their order (the converter looked up once)."""
    found = converter() if any(r.content_type in OFFICE_TYPES for r in rows) else None
    return [preview_of(r, available=found) for r in rows]


# --- the rendition ---------------------------------------------------------------------------


def queue_rendition(*, actor, row: ResourceFile) -> Job | None:
    """Start the background conversion of an office document just attached (in the
    caller's transaction: the job runs once it commits); None when the file is not an
    office document or no converter is installed."""
    if row.content_type not in OFFICE_TYPES or converter() is None:
        return None
    return start_job(
        CONVERT, actor=actor, org_unit=row.resource.org_unit_id, params={"file": row.pk}
    )


def convert(row: ResourceFile) -> str:
    """Convert ``row`` to a PDF in a child process (the converter, under a time limit, in
    a scratch folder with its own profile) and store it as the rendition; returns its
    stored name. Raises ``JobError`` with a message for people."""
    program = converter()
    if program is None:
        raise JobError(_("No office converter is installed."))
    ext = row.name.rsplit(".", 1)[-1] if "." in row.name else "bin"
    with tempfile.TemporaryDirectory(prefix="jiaoyan-office-") as scratch:
        source = os.path.join(scratch, f"source.{ext}")
        with row.file.open("rb") as src, open(source, "wb") as out:
            shutil.copyfileobj(src, out)
        command = [
            program,
            f"-env:UserInstallation=file://{scratch}/profile",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            scratch,
            source,
        ]
        try:
            subprocess.run(
                command,
                cwd=scratch,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout(),
                check=False,
                env={**os.environ, "HOME": scratch},
            )
        except subprocess.TimeoutExpired:
            raise JobError(
                _("The conversion took longer than %(s)d seconds.") % {"s": int(timeout())}
            ) from None
        except OSError:
            raise JobError(_("The office converter could not be started.")) from None
        made = os.path.join(scratch, "source.pdf")
        if not os.path.exists(made):
            raise JobError(_("The office converter made no PDF of this file."))
        with open(made, "rb") as f:
            data = f.read()
    if not data.startswith(b"%PDF-"):
        raise JobError(_("The office converter made no PDF of this file."))
    name = rendition_name(row)
    storage = row.file.storage
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(data))


@job_kind(
    CONVERT,
    label=_lazy("Making the PDF version of an office document"),
    phases={"converting": _lazy("Converting to PDF")},
    max_attempts=1,
)
def convert_job(job: Job, progress) -> dict:
    """Job: the PDF rendition of one resource file (gone meanwhile: nothing to do)."""
    row = ResourceFile.objects.filter(pk=job.params.get("file")).first()
    if row is None:
        return {"skipped": True}
    progress("converting", 0, 1)
    stored = convert(row)
    progress("converting", 1, 1)
    return {"rendition": stored}


def remove_rendition(row: ResourceFile) -> None:
    """Delete ``row``'s rendition, if any (its file is being removed)."""
    name = rendition_name(row)
    if row.file.storage.exists(name):
        row.file.storage.delete(name)
