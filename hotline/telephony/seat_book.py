"""Which seats exist and who sits where: the data the seat service and the ACD effects share."""

from __future__ import annotations

import dataclasses

from hotline.telephony.config import SeatConfig


class SeatBook:
    """Every seat's phone by seat name (`phones`), and the seats with an agent logged in, by agent (`taken`)."""

    def __init__(self, seats: tuple[SeatConfig, ...]) -> None:
        self.phones = {seat.seat: seat for seat in seats}
        self.taken = {seat.agent: seat for seat in seats if seat.agent}

    def replace_phones(self, seats: tuple[SeatConfig, ...]) -> None:
        """New seat definitions (edited in the back office); agents logged in keep the seat they have."""
        self.phones = {seat.seat: dataclasses.replace(seat, agent="") for seat in seats}

    def seat_of(self, agent: str) -> str:
        seat = self.taken.get(agent)
        return seat.seat if seat else ""

    def has_seat(self, seat_name: str) -> bool:
        return seat_name in self.phones

    def agent_at(self, seat_name: str) -> str:
        """The agent logged in at a seat ("" for nobody)."""
        return next((agent for agent, seat in self.taken.items() if seat.seat == seat_name), "")
