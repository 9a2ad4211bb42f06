"""The engine's surge gate: lines in use, 503 when they are all taken, and when the automatic seat takes over.

The decisions are `SurgePolicy`'s (callback/surge.py, pure); this class counts the lines and keeps the
figures the wallboard shows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from hotline.telephony.callback.surge import SurgePolicy, SurgeSettings
from hotline.telephony.registry import CallRegistry

log = logging.getLogger(__name__)


class OfferedCalls(Protocol):
    """The SIP side's inbound calls not answered yet (they take a line too)."""

    @property
    def offered(self) -> Mapping[Any, object]: ...


class SurgeGate:
    """Lines and surge capture for one engine; without `SurgeSettings` every call is admitted, none captured."""

    def __init__(self, settings: SurgeSettings | None, registry: CallRegistry) -> None:
        self.settings = settings
        self.policy = SurgePolicy(settings) if settings is not None else None
        self.refused = 0  # calls answered 503 because every line was taken
        self._registry = registry
        self._sip: OfferedCalls | None = None
        self._answered = 0  # inbound calls answered and not ended: counted as they come and go

    def watch(self, sip: OfferedCalls) -> None:
        """Count the SIP side's unanswered inbound calls too (set once it exists)."""
        self._sip = sip

    @property
    def lines(self) -> int:
        return self.settings.lines if self.settings is not None else 0

    def take_line(self) -> None:
        """An inbound call was answered: it holds a line until `free_line`."""
        self._answered += 1

    def free_line(self) -> None:
        """An answered call ended. Freeing more lines than were taken would count fewer lines in use than
        there are, and admit callers the trunk cannot carry: that slip is logged and the count stays at 0."""
        if self._answered == 0:
            log.error("surge gate: a line was freed that no answered call held")
            return
        self._answered -= 1

    def lines_in_use(self) -> int:
        """Calls with customers now: inbound ones (offered or answered) and outbound customer legs; counted,
        not found by a pass over the calls, since every INVITE of a surge asks."""
        offered = len(self._sip.offered) if self._sip is not None else 0
        return offered + self._answered + len(self._registry.outbound)

    def admit(self, request: object) -> bool:
        """The SIP layer's overload guard: a new call fits on the lines, or gets 503 with Retry-After."""
        if self.policy is None or self.policy.admits(self.lines_in_use()):
            return True
        self.refused += 1
        if self.refused == 1 or self.refused % 100 == 0:
            log.warning("every line is taken: %d calls refused with 503 so far", self.refused)
        return False

    def capture_on_arrival(self) -> bool:
        """Whether the automatic seat takes a new call before it is answered (the lines are nearly full)."""
        return self.policy is not None and self.policy.capture_on_arrival(self.lines_in_use())

    def capture_on_enqueue(self, queue: str, expected_wait: float | None) -> bool:
        """Whether a caller about to join `queue` goes to the automatic seat (the queue's wait is too long)."""
        return self.policy is not None and self.policy.capture_on_enqueue(queue, expected_wait)

    @property
    def callback_key(self) -> str:
        """The key a waiting caller presses for a callback ("" when none is offered)."""
        return self.settings.offer_key if self.settings is not None else ""

    @property
    def retry_after(self) -> int:
        return self.settings.retry_after_seconds if self.settings is not None else 30

    def calls_back_abandon(self, seconds_in_call: float) -> bool:
        """Whether a caller who hung up unanswered after `seconds_in_call` gets a callback."""
        threshold = self.settings.abandon_callback_seconds if self.settings is not None else None
        return threshold is not None and seconds_in_call >= threshold
