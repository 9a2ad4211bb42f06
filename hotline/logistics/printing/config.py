"""What printed documents take from the environment: the sender block and the Chinese font.

Read once, typed, with defaults that work on a fresh Debian machine (docs/configuration.md lists them)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hotline.lib.config import env_str

DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


@dataclass(frozen=True, slots=True)
class Sender:
    """The company that sends the parcels, printed in every form's sender block."""

    name: str
    phone: str
    address: str
    postcode: str = ""


@dataclass(frozen=True, slots=True)
class PrintConfig:
    """Settings of the printing package, from HOTLINE_SENDER_* and HOTLINE_CJK_FONT."""

    sender: Sender
    font_path: str
    # a TrueType collection holds several faces; WenQuanYi Micro Hei's first is the regular one
    font_index: int = 0


@functools.cache
def print_config() -> PrintConfig:
    """The environment's printing settings, read on first use."""
    sender = Sender(
        name=env_str("HOTLINE_SENDER_NAME", "热线优选电视购物"),
        phone=env_str("HOTLINE_SENDER_PHONE", "400-800-1000"),
        address=env_str("HOTLINE_SENDER_ADDRESS", "上海市浦东新区张江路88号 物流中心"),
        postcode=env_str("HOTLINE_SENDER_POSTCODE", "201203"),
    )
    return PrintConfig(sender=sender, font_path=env_str("HOTLINE_CJK_FONT", DEFAULT_FONT))
