"""The Chinese font, registered with ReportLab once per process and shared by every document."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from hotline.logistics.printing.config import print_config

FONT = "HotlineCJK"
# Binary streams rather than ASCII85 text: a quarter smaller, and ReportLab's ASCII85 encoder is pure Python.
rl_config.useA85 = 0
_lock = threading.Lock()


class FontMissing(ImproperlyConfigured):
    """The Chinese font file for printed documents is not there."""


def cjk_font() -> str:
    """Register the Chinese font (first call only) and return its ReportLab name.

    Parsing a TrueType collection takes a noticeable fraction of a second, so it happens once per process;
    every document after that reuses the parsed face."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            config = print_config()
            path = Path(config.font_path)
            if not path.is_file():
                raise FontMissing(_(
                    "The Chinese font for printed forms is missing: %(path)s. Install Debian's "
                    "fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set HOTLINE_CJK_FONT to a "
                    "TrueType font file.") % {"path": path})
            pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=config.font_index))
    return FONT


@functools.lru_cache(maxsize=8192)
def char_width(char: str) -> float:
    """The width of one character at 1 pt, cached: wrapping measures every character of every address."""
    return pdfmetrics.stringWidth(char, cjk_font(), 1)


def text_width(text: str, size: float) -> float:
    """The width of `text` in points at `size` points."""
    return sum(char_width(char) for char in text) * size
