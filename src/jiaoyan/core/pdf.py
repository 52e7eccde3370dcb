"""PDF documents with Chinese text (certificates, hours statements), drawn with fpdf2.

The CJK font is one the project installs (Debian's ``fonts-wqy-microhei``, installed by
``.ci/run``); the setting or environment variable ``JIAOYAN_CJK_FONT`` names another file.
A missing font is :class:`FontMissing` with a message saying what to install — never a
PDF with empty boxes.

fpdf2 parses a TrueType collection every time a document adds it (about 0.6 s for
wqy-microhei's 49,000 glyphs) and, when it writes the document, subsets the parsed font
*in place*. So the font is parsed once per process (:func:`root_font`), and each
document gets a font file narrowed to its own characters from a shallow copy of the
parsed tables (:meth:`FontSource.file_for`): the parsed font is never changed, and fpdf2
parses and subsets a font of a few dozen glyphs. Narrowing the whole font still walks its
49,000 glyphs (about 0.15 s); a batch of documents first narrows it once to the union of
their characters (:meth:`FontSource.narrowed`) and narrows each document from that.
"""

from __future__ import annotations

import copy
import functools
import io
import logging
import os
import string
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# fontTools tells every step of every subset at INFO: thousands of lines per batch.
logging.getLogger("fontTools").setLevel(logging.WARNING)

#: Where Debian (and most distributions) put fonts-wqy-microhei.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
)
FAMILY = "cjk"
#: Characters every document's font has, whatever its text (numbers, codes, dates).
ALWAYS = set(string.digits + " .-/:")
#: Tables fpdf2 does not use; dropped once from the parsed font.
UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "FFTM", "hdmx", "VDMX", "LTSH", "kern", "gasp")


class FontMissing(ImproperlyConfigured):
    """No CJK font file: install fonts-wqy-microhei or set JIAOYAN_CJK_FONT."""


def font_path() -> Path:
    """The CJK font file: ``JIAOYAN_CJK_FONT`` (setting, else environment), else the first
    of :data:`FONT_CANDIDATES` that exists."""
    configured = getattr(settings, "JIAOYAN_CJK_FONT", "") or os.environ.get("JIAOYAN_CJK_FONT", "")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(
                f"JIAOYAN_CJK_FONT names {configured}, which is not a file: "
                "point it at a TrueType font with Chinese glyphs (e.g. wqy-microhei.ttc)."
            )
        return path
    for candidate in FONT_CANDIDATES:
        if os.path.isfile(candidate):
            return Path(candidate)
    raise FontMissing(
        "No CJK font for PDF documents: install the Debian package fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei) or set JIAOYAN_CJK_FONT to a TrueType font "
        "file with Chinese glyphs."
    )


def _options():
    from fontTools import subset as ftsubset

    options = ftsubset.Options(
        notdef_outline=True, recommended_glyphs=True, hinting=True, layout_features=[]
    )
    options.drop_tables += list(UNUSED_TABLES)
    options.glyph_names = False
    return options


class FontSource:
    """A parsed font that is never changed; documents get narrowed copies of it."""

    def __init__(self, font) -> None:
        self.font = font
        self.lock = threading.Lock()
        self._prototype = None

    def clone(self):
        """A TTFont sharing this one's parsed tables through shallow copies: the subsetter
        assigns new glyph, metric and map containers to the copies and leaves the parsed
        ones as they are (the cmap's subtables are copied too: it assigns to them)."""
        from fontTools.ttLib import TTFont

        with self.lock:
            clone = TTFont(recalcBBoxes=False, recalcTimestamp=False)
            clone.sfntVersion = self.font.sfntVersion
            clone.tables = {tag: copy.copy(table) for tag, table in self.font.tables.items()}
            cmap = clone.tables.get("cmap")
            if cmap is not None:
                cmap.tables = [copy.copy(sub) for sub in cmap.tables]
            clone.setGlyphOrder(list(self.font.getGlyphOrder()))
        return clone

    def _narrow(self, chars: Iterable[str]):
        from fontTools import subset as ftsubset

        clone = self.clone()
        subsetter = ftsubset.Subsetter(_options())
        subsetter.populate(unicodes=sorted({ord(c) for c in set(chars) | ALWAYS}))
        subsetter.subset(clone)
        return clone

    def narrowed(self, chars: Iterable[str]) -> FontSource:
        """A source with only ``chars`` (and :data:`ALWAYS`): what a batch narrows to once.
        Written and read back, so its glyphs stay compiled (copied as bytes, not rebuilt
        from their points, when each document's font is written)."""
        return FontSource(_parsed(_written(self._narrow(chars))))

    def prototype(self):
        """fpdf2's parsed form of this font (its widths, glyph ids, descriptor), made once
        from a file of it; each document gets a copy whose tables are :meth:`clone`'s."""
        if self._prototype is None:
            from fpdf import FPDF

            fd, path = tempfile.mkstemp(suffix=".ttf", prefix="jiaoyan-font-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(_written(self.font))
                scratch = FPDF()
                scratch.add_font(FAMILY, "", path)
                self._prototype = scratch.fonts[FAMILY]
                self._prototype.ttfont.close()
            finally:
                os.unlink(path)
        return self._prototype

    def font_for_document(self):
        """A TTFFont for one new document (fpdf2 subsets its tables in place when it
        writes the document: they are this source's clone, never the parsed ones)."""
        from fpdf.fonts import SubsetMap, TTFFont

        proto = self.prototype()
        font = TTFFont.__new__(TTFFont)
        for name in TTFFont.__slots__:
            if hasattr(proto, name):
                setattr(font, name, getattr(proto, name))
        font.i = 1
        font.ttfont = self.clone()
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        return font


def _written(font) -> bytes:
    out = io.BytesIO()
    font.recalcBBoxes = False
    font.save(out)
    return out.getvalue()


def _parsed(source, **kwargs):
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(source) if isinstance(source, bytes) else source, **kwargs)
    for tag in UNUSED_TABLES:
        if tag in font:
            del font[tag]
    for tag in list(font.keys()):
        if tag != "GlyphOrder":
            font[tag]
    font.getGlyphOrder()
    return font


@functools.lru_cache(maxsize=2)
def _root(path: str) -> FontSource:
    return FontSource(_parsed(path, fontNumber=0, lazy=False))


def root_font() -> FontSource:
    """The project's CJK font, parsed once per process."""
    return _root(str(font_path()))


def batch_font(texts: Iterable[str]) -> FontSource:
    """The font narrowed once to every character of ``texts``: each document of a batch
    is then narrowed from this small font instead of the whole one."""
    chars: set[str] = set()
    for text in texts:
        chars.update(text)
    return root_font().narrowed(chars)


@functools.lru_cache(maxsize=1)
def _fpdf_class():
    from fpdf import FPDF

    class Document(FPDF):
        """An A4 page set in the CJK font narrowed to ``texts``' characters."""

        def __init__(self, texts: Iterable[str], *, font: FontSource | None = None, **kw):
            super().__init__(**kw)
            if font is None:  # one document: the whole font narrowed to its text first
                font = batch_font(texts)
            self.fonts[FAMILY] = font.font_for_document()
            self.set_font(FAMILY, size=12)

        def bytes(self) -> bytes:
            """The document, written."""
            return bytes(self.output())

        def qr(self, data: str, *, x: float, y: float, size: float) -> None:
            """A QR code of ``data`` drawn as vector squares (segno), ``size`` mm wide."""
            import segno

            code = segno.make(data, error="m", micro=False, mask=0, boost_error=False)
            matrix = list(code.matrix)
            module = size / len(matrix)
            self.set_fill_color(0, 0, 0)
            # One path of every dark run, filled once (what rect(style="F") writes per
            # run; fpdf2 2.8.9 is pinned): hundreds of rect calls cost more than the rest
            # of a certificate.
            k, height = self.k, self.h
            ops = []
            for r, row in enumerate(matrix):
                c = 0
                while c < len(row):
                    if row[c] & 1:
                        start = c
                        while c < len(row) and row[c] & 1:
                            c += 1
                        ops.append(
                            f"{(x + start * module) * k:.2f} {(height - y - r * module) * k:.2f} "
                            f"{(c - start) * module * k:.2f} {-module * k:.2f} re"
                        )
                    else:
                        c += 1
            if ops:
                self._out(" ".join(ops) + " f")

    return Document


def document(texts: Iterable[str], *, font: FontSource | None = None, **kwargs):
    """A new fpdf2 document whose font has every character of ``texts``; write it with
    ``.bytes()``. ``font``: a batch's :func:`batch_font`."""
    return _fpdf_class()([str(t) for t in texts], font=font, **kwargs)
