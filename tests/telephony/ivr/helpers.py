"""Shared test helpers: a session on a manual clock, and ways to read the actions it returns."""

from __future__ import annotations

import datetime
from typing import Any

from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.ivr.actions import Action, IvrCall, LogEvent
from hotline.telephony.ivr.interpreter import IvrSession
from hotline.telephony.ivr.loader import load_flow
from hotline.telephony.ivr.model import Flow

EPOCH = datetime.datetime(2026, 11, 24, 20, 0, tzinfo=datetime.UTC)
CALL = IvrCall(call_id="c1", caller="13800138000", dnis="4008001000")


def make_session(flow: Flow, clock: ManualClock) -> IvrSession:
    return IvrSession(flow, clock, lambda: EPOCH + datetime.timedelta(seconds=clock.now()))


def flow_of(start: str, **nodes: Any) -> Flow:
    return load_flow({"name": "t", "start": start, "nodes": nodes})


def visits(actions: list[Action]) -> list[str]:
    return [a.event.node for a in actions if isinstance(a, LogEvent)]


def steps(actions: list[Action]) -> list[Action]:
    """The actions without the node-visit log entries."""
    return [a for a in actions if not isinstance(a, LogEvent)]
