"""Surge capture: which new callers the automatic seat answers (自动电脑座席), as a share that follows the load.

Pure: the host tells the gate how loaded it is, the gate answers caller by caller. Two measures, each with
its own gate: line occupancy (checked when a call arrives) and a queue's expected wait (checked when a
caller is about to join that queue, so an IVR caller is judged by the queue they chose).

Below a threshold nobody is sent to the automatic seat; above it the share grows linearly and reaches every
caller at full lines, or at twice the wait threshold. The share is applied by error diffusion rather than
at random, so that at a share of 0.25 exactly one caller in four is captured, and a test can say which.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SurgeSettings:
    """When the automatic seat takes new callers (see docs/telephony.md, "Surge capture").

    `lines` is the number of licensed lines (calls with customers at once); beyond it a call gets 503 with
    Retry-After. 0 means no line limit, and no occupancy capture.
    """

    lines: int = 0
    occupancy_threshold: float = 0.8  # share of the lines in use above which capture starts
    max_wait_seconds: float = 60.0  # a queue's expected wait above which capture starts
    # A caller who hangs up in the IVR or a queue after at least this many seconds is called back;
    # None: abandons are not called back.
    abandon_callback_seconds: float | None = 10.0
    offer_key: str = "1"  # the key a waiting caller presses to leave a callback ("" offers none)
    retry_after_seconds: int = 30  # the Retry-After of a 503 when every line is taken

    def __post_init__(self) -> None:
        if self.lines < 0 or self.retry_after_seconds < 0:
            raise ValueError("surge settings: negative setting")
        if not 0 < self.occupancy_threshold <= 1:
            raise ValueError("surge settings: the occupancy threshold is a share in (0, 1]")
        if self.max_wait_seconds <= 0:
            raise ValueError("surge settings: the wait threshold must be positive")
        if self.abandon_callback_seconds is not None and self.abandon_callback_seconds < 0:
            raise ValueError("surge settings: negative abandon threshold")
        if self.offer_key not in ("", *"0123456789*#"):
            raise ValueError("surge settings: the callback key is one DTMF key")


def occupancy_share(lines_in_use: int, lines: int, threshold: float) -> float:
    """0 up to `threshold` × lines in use, then linear to 1 when every line is in use."""
    if lines <= 0:
        return 0.0
    occupancy = lines_in_use / lines
    if occupancy <= threshold:
        return 0.0
    if threshold >= 1:
        return 1.0
    return min(1.0, (occupancy - threshold) / (1 - threshold))


def wait_share(expected_wait: float | None, max_wait: float) -> float:
    """0 up to `max_wait`, then linear to 1 at twice `max_wait`; 1 when nobody staffs the queue (None)."""
    if expected_wait is None:
        return 1.0
    if expected_wait <= max_wait:
        return 0.0
    return min(1.0, (expected_wait - max_wait) / max_wait)


class ShareGate:
    """Lets through a given share of the callers who pass, spreading them evenly (error diffusion)."""

    def __init__(self) -> None:
        self._credit = 0.0

    def take(self, share: float) -> bool:
        """True if this caller goes to the automatic seat, at `share` (0…1) of callers."""
        if share <= 0:
            return False
        self._credit += min(share, 1.0)
        if self._credit >= 1.0 - 1e-9:
            self._credit -= 1.0
            return True
        return False


class SurgePolicy:
    """The engine's surge decisions: 503 beyond the lines, and automatic-seat capture by occupancy or wait."""

    def __init__(self, settings: SurgeSettings) -> None:
        self.settings = settings
        self._occupancy = ShareGate()
        self._waits: dict[str, ShareGate] = {}

    def admits(self, lines_in_use: int) -> bool:
        """Whether one more call fits on the lines (else: 503 with Retry-After)."""
        return self.settings.lines <= 0 or lines_in_use < self.settings.lines

    def capture_on_arrival(self, lines_in_use: int) -> bool:
        """A new call (already counted in `lines_in_use`): does the automatic seat answer it?"""
        share = occupancy_share(lines_in_use, self.settings.lines, self.settings.occupancy_threshold)
        return self._occupancy.take(share)

    def capture_on_enqueue(self, queue: str, expected_wait: float | None) -> bool:
        """A caller about to join `queue`, where a new caller would wait `expected_wait` seconds."""
        gate = self._waits.setdefault(queue, ShareGate())
        return gate.take(wait_share(expected_wait, self.settings.max_wait_seconds))
