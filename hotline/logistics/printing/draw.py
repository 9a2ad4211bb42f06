"""Drawing primitives on a ReportLab canvas in millimetres from the top-left: fitted text, Code128, QR.

Bars and QR modules are drawn as one filled path each, not one rectangle object per bar, which keeps both
the drawing time and the PDF small."""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFArray, PDFName, PDFStream
from reportlab.pdfgen.canvas import Canvas

from hotline.logistics.printing.fonts import cjk_font, text_width

LEADING = 1.2  # line height as a multiple of the font size
ASCENT = 0.86  # the font's ascent as a share of its size: the first baseline sits this far below the top
MIN_SIZE = 5.0  # text never shrinks below this many points to fit its box
# thermal printers print 203 dots an inch: bars a whole number of dots wide scan best
DOT = 25.4 / 203
_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-#/]*|\s+|.")


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the page in millimetres, top-left origin, after the template's offsets."""

    x: float
    y: float
    width: float
    height: float


def compress_page(canvas: Canvas) -> None:
    """Compress the page just finished now rather than when the document is saved.

    ReportLab keeps every page's drawing commands as text until the end; compressed as each page is done,
    10,000 labels take about 100 MiB instead of 170 (measured). The stream is marked as already filtered, so
    ReportLab writes it as it is. Uses ReportLab's document object (`_doc`): the tests read the PDFs back."""
    page = canvas._doc.Pages.pages[-1]
    stream = PDFStream(content=zlib.compress(page.stream.encode("utf8")))
    stream.dictionary["Filter"] = PDFArray([PDFName("FlateDecode")])
    stream.__Comment__ = "page stream"
    page.Contents = stream
    page.stream = None


def new_canvas(stream: BinaryIO, pagesize: tuple[float, float]) -> Canvas:
    """A canvas writing to `stream` that compresses each page when it is finished. `invariant` leaves the
    creation date out, so the same data always gives the same bytes."""
    canvas = Canvas(stream, pagesize=pagesize, invariant=True)
    canvas.setCreator("Hotline")
    canvas.setPageCallBack(lambda _number: compress_page(canvas))
    return canvas


class Page:
    """A canvas addressed in millimetres from the top-left corner, as templates are written."""

    def __init__(self, canvas: Canvas, height_mm: float, offset_x: float = 0.0, offset_y: float = 0.0) -> None:
        self.canvas = canvas
        self.height = height_mm
        self.offset_x = offset_x
        self.offset_y = offset_y
        self.font = cjk_font()

    def pt(self, x: float, y: float) -> tuple[float, float]:
        """PDF points (origin bottom-left) of a point given in mm from the top-left, printer offsets added."""
        return (x + self.offset_x) * mm, (self.height - y - self.offset_y) * mm

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5, dashed: bool = False) -> None:
        self.canvas.setLineWidth(width)
        if dashed:
            self.canvas.setDash(3, 2)
        self.canvas.line(*self.pt(x1, y1), *self.pt(x2, y2))
        if dashed:
            self.canvas.setDash()

    def rect(self, box: Box, width: float = 0.6) -> None:
        self.canvas.setLineWidth(width)
        x, y = self.pt(box.x, box.y + box.height)
        self.canvas.rect(x, y, box.width * mm, box.height * mm, stroke=1, fill=0)

    def text_line(self, x: float, baseline: float, text: str, size: float, *, bold: bool = False,
                  align: str = "left", width: float = 0.0) -> None:
        """One line of text; `baseline` in mm from the top, `x` its left edge (or the box's, with align)."""
        if align != "left" and width:
            free = width * mm - text_width(text, size)
            x += (free if align == "right" else free / 2) / mm
        px, py = self.pt(x, baseline)
        text_object = self.canvas.beginText(px, py)
        text_object.setFont(self.font, size)
        if bold:
            # the font has no bold face: stroke the outline as well as filling it
            text_object.setTextRenderMode(2)
            self.canvas.setLineWidth(size * 0.045)
        text_object.textOut(text)
        if bold:
            text_object.setTextRenderMode(0)  # the mode outlives the text object in PDF's graphics state
        self.canvas.drawText(text_object)

    def text_box(self, box: Box, text: str, size: float, lines: int, *, bold: bool = False,
                 align: str = "left") -> None:
        """`text` wrapped into `box`, shrunk until it fits `lines` lines (and the box's height, if any)."""
        size, wrapped = fit_text(text, box.width, box.height, size, lines)
        baseline = box.y + size * ASCENT / mm
        for row in wrapped:
            self.text_line(box.x, baseline, row, size, bold=bold, align=align, width=box.width)
            baseline += size * LEADING / mm

    def code128(self, box: Box, value: str, text_size: float, show_text: bool) -> None:
        """A Code128 barcode centred in `box`, its bars whole printer dots wide when they can be."""
        pattern = code128_bars(value)
        modules = sum(width for width, _dark in pattern)
        module = box.width / modules
        if module >= 2 * DOT:
            module = math.floor(module / DOT) * DOT
        bar_height = box.height - (text_size * LEADING / mm if show_text else 0)
        left = box.x + (box.width - module * modules) / 2
        path = self.canvas.beginPath()
        for width, dark in pattern:
            if dark:
                x, y = self.pt(left, box.y + bar_height)
                path.rect(x, y, width * module * mm, bar_height * mm)
            left += width * module
        self.canvas.drawPath(path, stroke=0, fill=1)
        if show_text:
            self.text_line(box.x, box.y + bar_height + text_size * ASCENT / mm + 0.3, value, text_size,
                           align="center", width=box.width)

    def qr(self, box: Box, value: str) -> None:
        """A QR code (error correction M) filling the square that fits `box`, with a two-module margin."""
        matrix = qr_matrix(value)
        count = len(matrix) + 4
        module = min(box.width, box.height) / count
        path = self.canvas.beginPath()
        for row_index, row in enumerate(matrix):
            top = box.y + (row_index + 2) * module
            for start, length in _runs(row):
                x, y = self.pt(box.x + (start + 2) * module, top + module)
                path.rect(x, y, length * module * mm, module * mm)
        self.canvas.drawPath(path, stroke=0, fill=1)


def wrap(text: str, width_mm: float, size: float) -> list[str]:
    """`text` broken into lines no wider than `width_mm` at `size` points: between any two Chinese
    characters, but not inside a run of Latin letters and digits (a phone number stays whole) unless the
    run alone is too wide."""
    limit = width_mm * mm
    rows: list[str] = []
    for paragraph in text.split("\n"):
        row, row_width = "", 0.0
        for token in _TOKENS.findall(paragraph):
            token_width = text_width(token, size)
            if row and row_width + token_width > limit:
                rows.append(row.rstrip())
                row, row_width = "", 0.0
                if token.isspace():
                    continue
            if token_width > limit:
                for char in token:
                    char_width = text_width(char, size)
                    if row and row_width + char_width > limit:
                        rows.append(row)
                        row, row_width = "", 0.0
                    row, row_width = row + char, row_width + char_width
                continue
            row, row_width = row + token, row_width + token_width
        rows.append(row.rstrip())
    return rows


def fit_text(text: str, width_mm: float, height_mm: float, size: float, lines: int) -> tuple[float, list[str]]:
    """The largest size, at most `size`, at which `text` fits `lines` lines of `width_mm` (and `height_mm`
    when given), and the lines. At the smallest size the last line that fits ends with an ellipsis."""
    if not width_mm:
        return size, text.split("\n")[:lines]
    while True:
        allowed = lines
        if height_mm:
            allowed = min(lines, max(1, int((height_mm * mm - size * ASCENT) / (size * LEADING)) + 1))
        rows = wrap(text, width_mm, size)
        if len(rows) <= allowed:
            return size, rows
        if size <= MIN_SIZE:
            last = rows[allowed - 1]
            while last and text_width(last + "…", size) > width_mm * mm:
                last = last[:-1]
            return size, [*rows[:allowed - 1], last + "…"]
        size = max(MIN_SIZE, size - 0.5)


def code128_bars(value: str) -> list[tuple[int, bool]]:
    """The Code128 symbol of `value` as (width in modules, dark) pairs, quiet zones excluded."""
    symbol = Code128(value, quiet=0, barWidth=1)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    # ReportLab spells a bar as an upper-case letter and a space as a lower-case one, A/a = 1 module
    return [(ord(char.upper()) - ord("A") + 1, char.isupper()) for char in symbol.decomposed]


QR_MASK = 0


def qr_matrix(value: str) -> tuple[tuple[bool, ...], ...]:
    """The dark modules of a QR code for `value`, error correction level M.

    The mask is fixed instead of chosen by scoring all eight: any mask is a valid code, and the scoring
    took three quarters of a label's drawing time."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(value)
    code.version = code.calculate_version()
    code.makeImpl(False, QR_MASK)
    count = code.getModuleCount()
    return tuple(tuple(bool(code.isDark(row, col)) for col in range(count)) for row in range(count))


def _runs(row: tuple[bool, ...]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a QR row: one rectangle per run, not per module."""
    runs, start = [], None
    for index, dark in enumerate((*row, False)):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            runs.append((start, index - start))
            start = None
    return runs
