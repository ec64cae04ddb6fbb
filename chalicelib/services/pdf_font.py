"""The Chinese font of the PDFs we draw (the acceptance form, the nameplate label sheet).

A PDF prints the same everywhere only with its font inside it, so each document embeds a subset of
WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0, TrueType outlines) holding only the characters it shows:
fontTools cuts them out of the font file at render time (8-20 KB a form). Both are too big for the
Lambda package, so on AWS they come in a Lambda layer the stack builds (docs/deploy.md); locally the
same font comes from Debian's ``fonts-wqy-microhei`` (``make install``) and fontTools from
requirements-dev.txt.

Text is written as Unicode code points (two bytes each, as before); the font's CIDToGIDMap maps each to
its glyph in the subset and its ToUnicode map gives the text back to a reader's search and copy.
Where neither the font file nor fontTools is found, the page falls back to the standard CJK font
STSong-Light, which readers supply themselves (not embedded, so its look varies by reader).
"""

from __future__ import annotations

import hashlib
import io
import logging
import zlib
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

# Where the stack's font layer puts it on Lambda (layers unpack under /opt), then Debian's package.
FONT_FILES = ("/opt/fonts/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# Tables a PDF reader does not use in an embedded TrueType font: layout, vertical metrics, names.
_DROPPED_TABLES = ["GDEF", "GPOS", "GSUB", "vhea", "vmtx", "name", "FFTM", "gasp", "DSIG"]


class PdfFont(Protocol):
    def width(self, text: str, size: float) -> float:
        """How wide ``text`` is at ``size`` points."""
        ...

    def objects(self, first: int, shown: Iterable[str]) -> list[bytes]:
        """The font's objects, numbered from ``first`` (the font is ``first 0 R``), for these texts."""
        ...


def shown_characters(text: str) -> str:
    """The text as the page can show it: characters outside the Basic Multilingual Plane and control
    characters become '?'."""
    return "".join(c if " " <= c <= "\uffff" and not 0xD800 <= ord(c) <= 0xDFFF else "?" for c in text)


@cache
def pdf_font() -> PdfFont:
    """The embedded font when its file and fontTools are here, else the standard one (looked for once
    a process: ``pdf_font.cache_clear()`` looks again)."""
    path = _font_file()
    if path is None:
        return STANDARD_FONT
    try:
        return EmbeddedFont(str(path))
    except ImportError:
        logger.warning("fontTools is not installed: PDFs use the standard CJK font, not embedded")
        return STANDARD_FONT


def _font_file() -> Path | None:
    for candidate in FONT_FILES:
        if Path(candidate).is_file():
            return Path(candidate)
    logger.warning("no font file (%s): PDFs use the standard CJK font, not embedded", ", ".join(FONT_FILES))
    return None


class EmbeddedFont:
    """A TrueType font (or the first of a collection) embedded as a subset of the characters shown."""

    def __init__(self, path: str) -> None:
        from fontTools.ttLib import TTFont

        font = TTFont(path, fontNumber=0)
        cmap: dict[int, str] = font.getBestCmap()
        self._glyph_of = {code: font.getGlyphID(glyph) for code, glyph in cmap.items()}
        scale = 1000 / font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        self._widths = {code: round(metrics[glyph][0] * scale) for code, glyph in cmap.items()}
        self._missing_width = round(metrics[font.getGlyphOrder()[0]][0] * scale)
        head, hhea = font["head"], font["hhea"]
        self._bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self._ascent, self._descent = round(hhea.ascent * scale), round(hhea.descent * scale)
        self._cap_height = round(getattr(font["OS/2"], "sCapHeight", 0) * scale) or self._ascent
        self.name = "".join(c for c in font["name"].getDebugName(6) or "" if c.isalnum()) or "CJKFont"
        self._outlines = _outlines_only(font)

    def width(self, text: str, size: float) -> float:
        return sum(self._char_width(ord(c)) for c in shown_characters(text)) * size / 1000

    def _char_width(self, code: int) -> int:
        width: int = self._widths.get(code, self._missing_width)
        return width

    def objects(self, first: int, shown: Iterable[str]) -> list[bytes]:
        codes = sorted({ord(c) for text in shown for c in shown_characters(text)})
        font_file, glyph_of = self._subset([c for c in codes if c in self._glyph_of])
        # A subset's name starts with six capital letters of its own (ISO 32000-1, 9.6.4), here derived
        # from its characters so the same form gives the same file.
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(repr(codes).encode()).digest()[:6])
        name = f"{tag}+{self.name}"
        widths = " ".join(f"{code} [{self._char_width(code)}]" for code in codes)
        return [
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
            f"/DescendantFonts [{first + 1} 0 R] /ToUnicode {first + 4} 0 R >>".encode("ascii"),
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
            f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {first + 2} 0 R /DW {self._missing_width} /W [{widths}] "
            f"/CIDToGIDMap {first + 3} 0 R >>".encode("ascii"),
            f"<< /Type /FontDescriptor /FontName /{name} /Flags 4 /FontBBox [{' '.join(map(str, self._bbox))}] "
            f"/ItalicAngle 0 /Ascent {self._ascent} /Descent {self._descent} /CapHeight {self._cap_height} "
            f"/StemV 80 /FontFile2 {first + 5} 0 R >>".encode("ascii"),
            _stream(_cid_to_gid(codes, glyph_of)),
            _stream(_to_unicode(codes)),
            _stream(font_file, f"/Length1 {len(font_file)}"),
        ]

    def _subset(self, codes: list[int]) -> tuple[bytes, dict[int, int]]:
        """The font cut down to these characters, and each one's glyph number in it."""
        return _subset(self._outlines, tuple(codes), tuple(self._glyph_of[code] for code in codes))


def _outlines_only(font: Any) -> bytes:
    """The font without what a PDF reader does not use. Without its character map and glyph names a
    subset is cut by glyph number, which saves reading them for every form (most of the time)."""
    from fontTools.ttLib import newTable

    for tag in [*_DROPPED_TABLES, "cmap", "post"]:
        if tag in font:
            del font[tag]
    font["cmap"] = newTable("cmap")
    font["cmap"].tableVersion, font["cmap"].tables = 0, []
    post = font["post"] = newTable("post")
    post.formatType = 3.0  # no glyph names
    post.italicAngle = post.underlinePosition = post.underlineThickness = post.isFixedPitch = 0
    post.minMemType42 = post.maxMemType42 = post.minMemType1 = post.maxMemType1 = 0
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=16)  # a form filed again, or the same sheet printed twice, is cut once
def _subset(outlines: bytes, codes: tuple[int, ...], glyphs: tuple[int, ...]) -> tuple[bytes, dict[int, int]]:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.hinting = False  # screens and printers draw it well enough without; half the size
    options.notdef_outline = True  # a character the font lacks shows as a box, not as nothing
    options.glyph_names = False
    font = TTFont(io.BytesIO(outlines))
    names = font.getGlyphOrder()
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=list(glyphs))
    subsetter.subset(font)
    kept = {name: number for number, name in enumerate(font.getGlyphOrder())}
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), {code: kept[names[glyph]] for code, glyph in zip(codes, glyphs, strict=True)}


def _cid_to_gid(codes: list[int], glyph_of: dict[int, int]) -> bytes:
    """Two bytes per code point up to the highest shown: its glyph in the subset (0, the box, if none)."""
    table = bytearray(2 * (max(codes, default=0) + 1))
    for code in codes:
        table[2 * code : 2 * code + 2] = glyph_of.get(code, 0).to_bytes(2, "big")
    return bytes(table)


def _to_unicode(codes: list[int]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(codes), 100):  # at most 100 entries a block
        block = codes[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(f"<{code:04X}> <{code:04X}>" for code in block)
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")


def _stream(data: bytes, extra: str = "") -> bytes:
    packed = zlib.compress(data)
    header = f"<< /Filter /FlateDecode /Length {len(packed)}{' ' + extra if extra else ''} >>\nstream\n"
    return header.encode("ascii") + packed + b"\nendstream"


class StandardFont:
    """STSong-Light (Adobe-GB1), which PDF readers supply: nothing embedded."""

    def width(self, text: str, size: float) -> float:
        # ASCII is half an em wide, everything else a full em.
        return sum(size * (0.5 if ord(c) < 128 else 1.0) for c in shown_characters(text))

    def objects(self, first: int, shown: Iterable[str]) -> list[bytes]:
        return [
            f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H /Encoding /UniGB-UCS2-H "
            f"/DescendantFonts [{first + 1} 0 R] >>".encode("ascii"),
            f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            f"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor {first + 2} 0 R "
            f"/DW 1000 /W [1 95 500] >>".encode("ascii"),
            b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
        ]


STANDARD_FONT = StandardFont()
