"""Early media on an inbound call: 183 with our SDP, the call still offered, then refused (never answered)."""

from __future__ import annotations

from hotline.telephony.sip import sdp
from hotline.telephony.sip.calls import CallState, InboundCall

from .test_calls import App, Harness


class EarlyApp(App):
    """Rings, then opens early media on RTP port 30000 and leaves the call offered."""

    async def on_call(self, call: InboundCall) -> None:
        self.calls.append(call)
        call.ring()
        call.progress("127.0.0.1", 30000)


def early_harness() -> Harness:
    h = Harness()
    h.app = h.manager.app = EarlyApp()
    return h


def test_progress_sends_183_with_our_sdp_and_leaves_the_call_offered() -> None:
    h = early_harness()
    h.invite()
    assert h.statuses() == [100, 180, 183]
    progress = h.responses()[-1]
    assert (progress.reason, progress.headers.get("Content-Type")) == ("Session Progress", "application/sdp")
    answer = sdp.parse(progress.body)
    assert (answer.connection, answer.media[0].port, answer.media[0].formats) == ("127.0.0.1", 30000, ["8", "101"])
    call = h.app.calls[0]
    assert call.state is CallState.OFFERED and call.dialog is None
    assert call.media is not None and (call.media.remote_address, call.media.remote_port) == ("127.0.0.1", 40000)


def test_hanging_up_after_early_media_refuses_the_call_480_and_frees_it() -> None:
    h = early_harness()
    h.invite()
    call = h.app.calls[0]
    call.hangup()
    assert h.statuses() == [100, 180, 183, 480]
    assert (call.state, call.end_reason, h.manager.active) == (CallState.ENDED, "rejected", 0)
