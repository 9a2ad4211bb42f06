"""Password-guessing defence for digest authentication, as Kamailio's pike/htable setups do it.

Failed digest attempts (a wrong response, an unknown user, unusable credentials) are counted per source
address and per SIP user within a window. A source over its limit is banned: every request from it is
ignored, unanswered, until the ban ends, so a cracker learns nothing and spends its time waiting. A user
over its limit (many sources guessing one seat's password) is locked: even its right password is refused
until the lock ends, and the host is told so supervisors can act. The source limit is set below the user
limit, so one guessing address is banned before it can lock anybody out; only a distributed attack locks a
seat.

Pure: time comes from a clock, nothing here touches sockets; memory is bounded against spoofed floods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MAX_TRACKED = 10_000  # addresses or users remembered at most; a spoofed-source flood must not grow memory


class Clock(Protocol):
    def now(self) -> float: ...


@dataclass(frozen=True)
class GuardSettings:
    """The limits: `source_limit` failures from one address within `window` seconds ban it for `source_ban`
    seconds; `seat_limit` failures for one SIP user within `window` lock it for `seat_lock` seconds.
    A limit of 0 turns that check off."""

    source_limit: int = 10
    seat_limit: int = 20
    window: float = 600.0
    source_ban: float = 900.0
    seat_lock: float = 600.0


@dataclass
class _Tally:
    failures: int
    since: float  # the first failure of the current window
    blocked_until: float = 0.0


class FailureCounter:
    """Failures per key within a window; a key reaching `limit` is blocked for `penalty` seconds."""

    def __init__(self, clock: Clock, limit: int, window: float, penalty: float, max_keys: int = MAX_TRACKED) -> None:
        self._clock = clock
        self.limit = limit
        self.window = window
        self.penalty = penalty
        self._max_keys = max_keys
        self._tallies: dict[str, _Tally] = {}

    def blocked(self, key: str) -> bool:
        tally = self._tallies.get(key)
        return tally is not None and self._clock.now() < tally.blocked_until

    def until(self, key: str) -> float:
        """When the block of `key` ends (0.0 when it is not blocked)."""
        tally = self._tallies.get(key)
        return tally.blocked_until if tally is not None and self.blocked(key) else 0.0

    def fail(self, key: str) -> bool:
        """Count one failure; True when it just blocked `key` (once per block, for the notice)."""
        if self.limit <= 0:
            return False
        now = self._clock.now()
        tally = self._tallies.get(key)
        if tally is None or (now - tally.since > self.window and now >= tally.blocked_until):
            self._make_room()
            tally = self._tallies[key] = _Tally(0, now)
        if now < tally.blocked_until:
            return False  # already blocked: its block is not extended, so it always ends
        tally.failures += 1
        if tally.failures < self.limit:
            return False
        tally.blocked_until, tally.failures, tally.since = now + self.penalty, 0, now + self.penalty
        return True

    def forget(self, key: str) -> None:
        self._tallies.pop(key, None)

    def __len__(self) -> int:
        return len(self._tallies)

    def _make_room(self) -> None:
        if len(self._tallies) < self._max_keys:
            return
        now = self._clock.now()
        for key in [key for key, tally in self._tallies.items()
                    if now - tally.since > self.window and now >= tally.blocked_until]:
            del self._tallies[key]
        while len(self._tallies) >= self._max_keys:  # all recent: the oldest goes (dicts keep insertion order)
            del self._tallies[next(iter(self._tallies))]


@dataclass(frozen=True)
class Failure:
    """What one failed attempt caused: the source banned, the user locked (each True only the first time)."""

    source_banned: bool = False
    seat_locked: bool = False


class AuthGuard:
    """Counts failed digest attempts per source address and per SIP user, and says who is shut out."""

    def __init__(self, clock: Clock, settings: GuardSettings | None = None) -> None:
        self.settings = settings or GuardSettings()
        s = self.settings
        self.sources = FailureCounter(clock, s.source_limit, s.window, s.source_ban)
        self.seats = FailureCounter(clock, s.seat_limit, s.window, s.seat_lock)

    def ignores(self, source: str) -> bool:
        """True while `source` is banned: its requests get no answer at all."""
        return self.sources.blocked(source)

    def locked(self, user: str) -> bool:
        """True while `user` is locked: even its right password is refused (403)."""
        return self.seats.blocked(user)

    def failed(self, source: str | None, user: str | None) -> Failure:
        """Count a failed attempt from `source` (None: a trusted address, never banned), against `user`
        when it names an existing one."""
        banned = self.sources.fail(source) if source else False
        locked = self.seats.fail(user) if user else False
        return Failure(banned, locked)
