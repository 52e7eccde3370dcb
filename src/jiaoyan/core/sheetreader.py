"""Reading an untrusted workbook where an abort cannot take a web or task worker with it.

The spreadsheet reader (calamine) lays a sheet out densely, from its first used cell to
its last: a 5 KB .xlsx with one cell at A1 and one at XFD1048576 asks for half a terabyte,
and the allocation failure aborts the process — no exception to catch. So a workbook is
read in a child process (``python -m jiaoyan.core.sheetreader``) that

1. caps its own address space (``resource.RLIMIT_AS``) and its running time;
2. for .xlsx, scans each sheet's XML as a stream for the cells that hold a value and
   refuses a sheet whose extent is beyond the limits before any dense read (also counting
   the decompressed bytes, so a zip bomb stops early);
3. only then reads the chosen sheet and sends its rows back (pickled on stdout).

An abort, a timeout or the memory cap ends the child only; the caller turns it into a
:class:`SheetRefused` with a message for users. This module imports nothing of Django, so
the child starts in a few tens of milliseconds.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass

MAX_ROWS = 200_000
MAX_COLUMNS = 2_000
MAX_XML_BYTES = 1_000_000_000  # decompressed sheet XML, all sheets together
MEMORY_MB = 3_072
SECONDS = 180


class SheetRefused(ValueError):
    """The child refused or could not read the workbook; ``code`` says why."""

    def __init__(self, code: str, detail: dict | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail or {}


@dataclass(frozen=True)
class Limits:
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    xml_bytes: int = MAX_XML_BYTES
    memory_mb: int = MEMORY_MB
    seconds: int = SECONDS


# --- in the parent --------------------------------------------------------------------


def read_rows(
    data: bytes, sheet_hint: tuple[str, ...] = (), limits: Limits = Limits()
) -> tuple[list[list], list, str]:
    """(rows, merged ranges, sheet name) of the workbook ``data``, read in a child."""
    request = pickle.dumps({"data": data, "hint": tuple(sheet_hint), "limits": limits})
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jiaoyan.core.sheetreader"],
            input=request,
            capture_output=True,
            timeout=limits.seconds,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SheetRefused("timeout") from None
    if done.returncode != 0:
        # Killed by the memory cap, aborted by the reader, or crashed: never the caller.
        raise SheetRefused("aborted", {"status": done.returncode})
    answer = pickle.loads(done.stdout)
    if "refused" in answer:
        raise SheetRefused(answer["refused"], answer.get("detail"))
    return answer["rows"], answer["merged"], answer["sheet"]


# --- in the child ---------------------------------------------------------------------

# A whole cell element: <c r="B7" …/> (no content) or <c r="B7" …>…</c>.
_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)",
    re.DOTALL,
)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is|f)\b")
_CELL_START = re.compile(rb"<(?:\w+:)?c\b")
MAX_CELL_BYTES = 4 << 20  # far more than Excel's longest cell text (32,767 characters)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


class _Extent:
    """The last row and column of the cells that hold a value, fed a sheet's XML in chunks."""

    def __init__(self) -> None:
        self.rows = self.columns = 0
        self.tail = b""

    def feed(self, chunk: bytes, *, last: bool = False) -> None:
        text = self.tail + chunk
        end = 0
        for m in _CELL.finditer(text):
            end = m.end()
            content = m.group(2)
            ref = _REF.search(m.group(1))
            if ref is None or not content or not _VALUE.search(content):
                continue  # a formatted empty cell, or one placed by order (no reference)
            self.rows = max(self.rows, int(ref.group(2)))
            self.columns = max(self.columns, _column_number(ref.group(1)))
        rest = text[end:]
        starts = [m.start() for m in _CELL_START.finditer(rest)]
        # Keep an unfinished cell (or the end of a tag cut by the chunk) for the next chunk.
        self.tail = rest[starts[-1] :] if starts else rest[-64:]
        if not last and len(self.tail) > MAX_CELL_BYTES:
            raise SheetRefused("damaged")


def check_xlsx_extent(data: bytes, limits: Limits) -> None:
    """Refuse an .xlsx whose sheets hold a value beyond the limits (streamed, no dense read)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # not a zip: the reader says what it is
    total = 0
    with archive:
        for info in archive.infolist():
            name = info.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            extent = _Extent()
            with archive.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    if total > limits.xml_bytes:
                        raise SheetRefused("too_large")
                    extent.feed(chunk)
            extent.feed(b"", last=True)
            if extent.rows > limits.rows or extent.columns > limits.columns:
                raise SheetRefused("extent", {"rows": extent.rows, "columns": extent.columns})


def _read(data: bytes, hint: tuple[str, ...], limits: Limits) -> dict:
    from python_calamine import CalamineWorkbook

    if data[:4] == b"PK\x03\x04":
        check_xlsx_extent(data, limits)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        raise SheetRefused("damaged") from None
    names = wb.sheet_names
    if not names:
        raise SheetRefused("no_sheets")
    chosen = next((n for n in names if n in hint), names[0])
    try:
        sheet = wb.get_sheet_by_name(chosen)
        if sheet.total_height > limits.rows or sheet.total_width > limits.columns:
            raise SheetRefused("extent", {"rows": sheet.total_height, "columns": sheet.total_width})
        rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
        merged = list(sheet.merged_cell_ranges or [])
    except SheetRefused:
        raise
    except Exception:
        raise SheetRefused("damaged") from None
    return {"rows": rows, "merged": merged, "sheet": chosen}


def _child() -> None:
    import resource

    request = pickle.loads(sys.stdin.buffer.read())
    limits: Limits = request["limits"]
    cap = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        answer = _read(request["data"], request["hint"], limits)
    except SheetRefused as e:
        answer = {"refused": e.code, "detail": e.detail}
    except MemoryError:
        answer = {"refused": "too_large"}
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _child()
