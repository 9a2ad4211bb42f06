"""What the engine tells a health check: its seats' phones and the calls in progress.

Read on the engine's loop (through the `health` control command), so the figures are one consistent
moment of the engine's own state, not the database's idea of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.telephony.config import SeatConfig
    from hotline.telephony.engine import Engine


def _registered(engine: Engine, seat: SeatConfig) -> bool:
    if seat.aor:
        return engine.registrar.contact_for(seat.aor) is not None
    return engine.registrar.contact_for_user(seat.username) is not None


def engine_health(engine: Engine) -> dict[str, int]:
    """Seats, the seats' phones registered now (a seat with a fixed URI needs none and is not counted),
    and calls with customers in progress (as the surge guard counts lines)."""
    phones = [seat for seat in engine.config.seats if not seat.fixed_uri]
    return {
        "seats": len(engine.config.seats),
        "phones": len(phones),
        "phones_registered": sum(1 for seat in phones if _registered(engine, seat)),
        "calls": engine.surge.lines_in_use(),
    }
