"""One shared 20 ms ticker for every prompt and hold-music listener; frames are pre-encoded and shared."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from hotline.telephony.media.leg import Leg
from hotline.telephony.media.prompts import Prompt
from hotline.telephony.media.rtp import FRAME_SECONDS

_RESYNC_SECONDS = 0.1  # a tick later than this skips ahead instead of bursting to catch up


@dataclass(slots=True)
class Player:
    """A leg's position in a prompt; `looping` players follow the shared hold-music clock instead."""

    prompt: Prompt
    frames: tuple[bytes, ...]
    on_done: Callable[[], None] | None
    looping: bool = False
    index: int = 0


class Ticker:
    """Sends the next frame to every playing leg each 20 ms, on absolute deadlines (`loop.call_at`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_error: Callable[[Leg, Exception], None]) -> None:
        self._loop = loop
        self._on_error = on_error
        self._players: dict[Leg, Player] = {}
        self._handle: asyncio.TimerHandle | None = None
        self._deadline = 0.0
        self.ticks = 0
        self.resyncs = 0

    def start(self, leg: Leg, player: Player) -> None:
        """Start (or replace) what the leg hears; relayed audio to it is silenced meanwhile."""
        self._players[leg] = player
        leg.silenced = True
        if self._handle is None:
            self._deadline = self._loop.time() + FRAME_SECONDS
            self._handle = self._loop.call_at(self._deadline, self._tick)

    def stop(self, leg: Leg) -> Player | None:
        player = self._players.pop(leg, None)
        if player is not None:
            leg.silenced = False
        if not self._players and self._handle is not None:
            self._handle.cancel()
            self._handle = None
        return player

    def playing(self, leg: Leg) -> bool:
        return leg in self._players

    def _tick(self) -> None:
        self.ticks += 1
        finished = [leg for leg, player in tuple(self._players.items()) if not self._step(leg, player)]
        for leg in finished:
            player = self.stop(leg)
            if player is not None and player.on_done is not None:
                self._call(leg, player.on_done)
        if self._players:
            self._schedule()
        else:
            self._handle = None

    def _step(self, leg: Leg, player: Player) -> bool:
        """Send one frame; False when a prompt has ended."""
        try:
            if player.looping:
                leg.send_frame(player.frames[self.ticks % len(player.frames)], player.index == 0)
                player.index = 1
                return True
            if player.index >= len(player.frames):
                return False
            leg.send_frame(player.frames[player.index], player.index == 0)
            player.index += 1
            return True
        except Exception as error:  # one broken leg must not stop everyone's audio
            self._on_error(leg, error)
            return False

    def _call(self, leg: Leg, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception as error:
            self._on_error(leg, error)

    def _schedule(self) -> None:
        self._deadline += FRAME_SECONDS
        now = self._loop.time()
        if now - self._deadline > _RESYNC_SECONDS:
            self.resyncs += 1
            self._deadline = now + FRAME_SECONDS
        self._handle = self._loop.call_at(self._deadline, self._tick)
