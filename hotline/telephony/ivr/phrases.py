"""Recorded phrases the IVR composes: order statuses, numbers, queue positions.

Status codes are the order app's codes (`hotline.orders.models.Status`), repeated here as plain strings
because the engine may not import the web apps; a test keeps both lists in step.
"""

from __future__ import annotations

from types import MappingProxyType

ORDER_STATUS_PHRASES = MappingProxyType({
    "ordered": "status_ordered",
    "reviewed": "status_reviewed",
    "shipped": "status_shipped",
    "delivered": "status_delivered",
    "settled": "status_settled",
    "cancelled": "status_cancelled",
    "refused": "status_refused",
    "returned": "status_returned",
    "exchanged": "status_exchanged",
})
"""Order status code -> prompt id of its Mandarin phrase (订购, 已审核, 已发货 …)."""

AIRING_WELCOME = "welcome_short"
"""What a number that skips its menu during an airing plays instead of the IVR (欢迎致电，正在为您转接订购)."""

DIGIT_PROMPTS = tuple(f"num_{d}" for d in range(10))
TEN = "num_10"
HUNDRED = "num_100"
TWO_AS_LIANG = "num_2_liang"
PEOPLE = "unit_people"
MINUTES = "unit_minutes"
AHEAD = "queue_ahead"
EXPECTED_WAIT = "queue_wait"

NUMBER_PROMPTS = (*DIGIT_PROMPTS, TEN, HUNDRED, TWO_AS_LIANG)


def say_number(n: int) -> tuple[str, ...]:
    """Prompt ids that read `n` (0..999) the Mandarin way: 12 = 十二, 20 = 二十, 105 = 一百零五.

    A count before a measure word reads 2 as 两 (两位, 两分钟); that is the caller's choice (`counted`).
    """
    if not 0 <= n <= 999:
        raise ValueError(f"cannot read {n}: only 0..999")
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    if hundreds:
        rest: tuple[str, ...] = ()
        if tens:
            rest = (DIGIT_PROMPTS[tens], TEN)
        elif ones:
            rest = (DIGIT_PROMPTS[0],)
        return (DIGIT_PROMPTS[hundreds], HUNDRED, *rest, *((DIGIT_PROMPTS[ones],) if ones else ()))
    if tens:
        lead = () if tens == 1 else (DIGIT_PROMPTS[tens],)
        return (*lead, TEN, *((DIGIT_PROMPTS[ones],) if ones else ()))
    return (DIGIT_PROMPTS[ones],)


def say_count(n: int) -> tuple[str, ...]:
    """Like `say_number`, but a lone 2 before a measure word is 两 (两位, not 二位)."""
    return (TWO_AS_LIANG,) if n == 2 else say_number(n)


def position_announcement(position: int, wait_minutes: int | None = None) -> tuple[str, ...]:
    """"您前面还有 N 位" and, when known, "预计等待 M 分钟": `position` callers are ahead of this one."""
    phrase = (AHEAD, *say_count(position), PEOPLE)
    if wait_minutes is None:
        return phrase
    return (*phrase, EXPECTED_WAIT, *say_count(wait_minutes), MINUTES)
