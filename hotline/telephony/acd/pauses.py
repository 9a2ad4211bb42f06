"""The pause reasons the engine itself puts an agent in; an agent's own reasons (break, lunch…) are data."""

from __future__ import annotations

import enum


class EnginePause(enum.StrEnum):
    """Why the engine holds an agent not ready. `CONSULT` and `CALLBACK` are reservations for a call being
    set up: the agent's own ready, log-out or dial would pull them out from under it."""

    LOGIN = "login"  # signed in, until they choose ready or a reason
    NO_ANSWER = "no answer"  # missed an offered call
    OUTBOUND = "outbound"  # on a click-to-dial call
    CONSULT = "consult"  # reserved for a consultation (attended transfer)
    CALLBACK = "callback"  # reserved for a callback being dialled


# Reservations: pauses the agent may not change themselves.
RESERVATIONS = frozenset({EnginePause.CONSULT, EnginePause.CALLBACK})
DEFAULT_BREAK = "break"  # an agent's pause when they give no reason
