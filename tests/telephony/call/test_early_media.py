"""The automatic seat's line budget: a captured caller holds a line for the confirmation only, and on an
early-media trunk is never answered (183, the confirmation, then 480)."""

from __future__ import annotations

import functools
from pathlib import Path

from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.events import CallStep as S
from hotline.telephony.events import Hangup, HangupCause, HangupParty
from hotline.telephony.memory import MemoryCallbackStore
from hotline.telephony.sip.calls import CallState
from hotline.telephony.sip.trunks import Trunk

from .fake_sip import FakeInboundCall
from .harness import Harness, exactly, play, prompt_length


def answered(call: FakeInboundCall) -> bool:
    return call.state is CallState.ANSWERED


ONE_LINE = SurgeSettings(lines=1, occupancy_threshold=0.5)  # the caller takes the one line: always captured
LINE_BUDGET = 3.0  # seconds a captured caller may hold a line (issue 16: 300 lines absorb 50 calls/s)


def test_the_confirmation_leaves_room_in_a_captured_caller_s_three_second_line_budget() -> None:
    assert prompt_length("callback_confirmed") == 2.00275
    assert prompt_length("callback_no_number") < LINE_BUDGET


def test_a_caller_captured_on_an_early_media_trunk_hears_the_confirmation_unanswered_then_480(
        tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        h.sip.trunk = Trunk.of("early carrier", ["203.0.113.0/24"], early_media_capture=True)
        call = h.call_in("13800138001")
        await h.until(lambda: call.state is CallState.ENDED, what="the refusal")
        assert (call.responses, call.end_reason) == ([180, 183, 480], "rejected")
        assert h.engine.surge.lines_in_use() == 0

    h = play(tmp_path, body, store=store, surge=ONE_LINE)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.played(h.sip.inbound[0]) == ["callback_confirmed"]
    assert [(c.number, c.reason, c.call_id) for c in store.captures] == [("13800138001", "surge", call_id)]
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.CALLBACK_REQUEST, S.HANGUP]
    (hangup,) = h.events(Hangup, call_id)
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.NORMAL)
    (arrive,) = [e for e in h.call_log.events if e.kind is S.ARRIVE]
    assert hangup.mono - arrive.mono == exactly(prompt_length("callback_confirmed"))  # the line, then free


def test_on_an_ordinary_trunk_the_captured_caller_is_answered_and_hung_up_after_the_confirmation(
        tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        call = h.call_in("13800138001")
        await h.until(lambda: call.state is CallState.ENDED, what="the hang-up")
        assert (call.responses, call.end_reason) == ([180, 200], "local bye")
        assert h.engine.surge.lines_in_use() == 0

    h = play(tmp_path, body, store=store, surge=ONE_LINE)
    call_id = h.sip.inbound[0].invite.call_id
    (hangup,) = h.events(Hangup, call_id)
    (arrive,) = [e for e in h.call_log.events if e.kind is S.ARRIVE]
    assert hangup.mono - arrive.mono == exactly(prompt_length("callback_confirmed"))  # under LINE_BUDGET


def test_a_trunk_leg_latches_only_to_its_sdp_address_unless_the_trunk_is_behind_nat(tmp_path: Path) -> None:
    """After an engine restart, cut callers still stream to the old ports: a carrier sends from the address
    its SDP names, so only a trunk marked behind NAT lets the media plane latch another (an agent's leg can)."""
    nat: dict[str, bool] = {}

    async def body(h: Harness) -> None:
        for name, behind_nat in (("carrier", False), ("natted", True)):
            h.sip.trunk = Trunk.of(name, ["203.0.113.0/24"], rtp_behind_nat=behind_nat)
            call = h.call_in()
            await h.until(functools.partial(answered, call), what="the answer")
            assert call.local_media is not None
            remote = h.media.leg_at(call.local_media[1]).remote
            assert remote is not None
            nat[name] = remote.nat
            call.hang_up()

    play(tmp_path, body)
    assert nat == {"carrier": False, "natted": True}
