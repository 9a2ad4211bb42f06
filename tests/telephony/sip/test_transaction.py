"""RFC 3261 §17 transactions, driven by a fake clock: every timer, no sleeps."""

from __future__ import annotations

from hotline.telephony.sip.clock import ManualScheduler
from hotline.telephony.sip.message import Request, Response, response_to
from hotline.telephony.sip.transaction import State, TransactionLayer

from .helpers import FakeChannel, outgoing, request, response


class Client:
    """A client transaction under test with the times of each transmission."""

    def __init__(self, method: str, reliable: bool = False) -> None:
        self.clock = ManualScheduler()
        self.layer = TransactionLayer(self.clock)
        self.channel = TimedChannel(self.clock, reliable)
        self.responses: list[int] = []
        self.timeouts = 0
        self.transaction = self.layer.send_request(
            outgoing(method), self.channel, lambda r: self.responses.append(r.status), self._timeout
        )

    def _timeout(self) -> None:
        self.timeouts += 1


class TimedChannel(FakeChannel):
    def __init__(self, clock: ManualScheduler, reliable: bool = False) -> None:
        super().__init__(reliable)
        self.clock = clock
        self.times: list[float] = []

    def send(self, data: bytes) -> None:
        super().send(data)
        self.times.append(round(self.clock.now(), 3))


def server(method: str, reliable: bool = False) -> tuple[ManualScheduler, TransactionLayer, TimedChannel, Request]:
    clock = ManualScheduler()
    layer = TransactionLayer(clock)
    channel = TimedChannel(clock, reliable)
    incoming = request(method)
    assert layer.receive_request(incoming, channel) is not None
    return clock, layer, channel, incoming


# --- INVITE client: Timers A, B, D, M -------------------------------------------------------------------


def test_invite_client_retransmits_on_timer_a_doubling_and_gives_up_on_timer_b() -> None:
    client = Client("INVITE")
    client.clock.advance(40)
    assert client.channel.times == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert client.timeouts == 1
    assert client.transaction.state is State.TERMINATED
    assert client.layer.clients == {}


def test_invite_client_over_tcp_sends_once_and_still_times_out_at_64_t1() -> None:
    client = Client("INVITE", reliable=True)
    client.clock.advance(31.9)
    assert (client.channel.times, client.timeouts) == ([0], 0)
    client.clock.advance(0.2)
    assert client.timeouts == 1


def test_a_provisional_stops_invite_retransmission_and_timer_b() -> None:
    client = Client("INVITE")
    client.clock.advance(1)
    client.layer.receive_response(response(180, "Ringing"))
    client.clock.advance(100)
    assert client.channel.times == [0, 0.5]
    assert (client.responses, client.timeouts, client.transaction.state) == ([180], 0, State.PROCEEDING)


def test_a_non_2xx_final_is_acked_by_the_transaction_and_retransmissions_reacked_until_timer_d() -> None:
    client = Client("INVITE")
    client.layer.receive_response(response(486, "Busy Here"))
    ack = client.channel.messages()[-1]
    assert isinstance(ack, Request)
    assert (ack.method, ack.uri, ack.cseq, ack.headers.get("To")) == (
        "ACK", "sip:agent@127.0.0.1", (1, "ACK"), "<sip:agent@127.0.0.1>;tag=a1"
    )  # fmt: skip
    assert ack.top_via.branch == "z9hG4bKclient"
    client.clock.advance(10)
    client.layer.receive_response(response(486, "Busy Here"))
    assert [m.method for m in client.channel.messages() if isinstance(m, Request)] == ["INVITE", "ACK", "ACK"]
    assert client.responses == [486]  # the TU sees the final once
    client.clock.advance(22.1)  # Timer D = 32 s over UDP
    assert client.transaction.state is State.TERMINATED


def test_timer_d_is_zero_over_tcp() -> None:
    client = Client("INVITE", reliable=True)
    client.layer.receive_response(response(603, "Decline"))
    client.clock.advance(0)
    assert client.transaction.state is State.TERMINATED


def test_2xx_retransmissions_reach_the_tu_until_timer_m() -> None:
    client = Client("INVITE")
    client.layer.receive_response(response(200, "OK"))
    client.layer.receive_response(response(200, "OK"))
    assert (client.responses, client.transaction.state) == ([200, 200], State.ACCEPTED)
    assert [m.method for m in client.channel.messages() if isinstance(m, Request)] == ["INVITE"]  # 2xx ACK is TU's
    client.clock.advance(32.1)
    assert client.transaction.state is State.TERMINATED
    assert client.layer.receive_response(response(200, "OK")) is False


# --- non-INVITE client: Timers E, F, K ------------------------------------------------------------------


def test_non_invite_client_retransmits_on_timer_e_capped_at_t2_and_times_out_on_timer_f() -> None:
    client = Client("BYE")
    client.clock.advance(40)
    assert client.channel.times == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert client.timeouts == 1


def test_non_invite_client_in_proceeding_retransmits_every_t2() -> None:
    client = Client("BYE")
    client.layer.receive_response(response(100, "Trying", "BYE"))
    client.clock.advance(12)
    assert client.channel.times == [0, 0.5, 4.5, 8.5]


def test_non_invite_final_goes_to_the_tu_once_and_timer_k_absorbs_retransmissions() -> None:
    client = Client("BYE")
    client.layer.receive_response(response(200, "OK", "BYE"))
    client.clock.advance(4.9)
    assert client.layer.receive_response(response(200, "OK", "BYE")) is True
    assert (client.responses, len(client.channel.sent)) == ([200], 1)
    client.clock.advance(0.2)  # Timer K = T4 = 5 s
    assert client.transaction.state is State.TERMINATED


# --- INVITE server: Timers G, H, I, L -------------------------------------------------------------------


def test_retransmitted_invite_is_absorbed_and_answered_with_the_last_provisional() -> None:
    _clock, layer, channel, incoming = server("INVITE")
    transaction = layer.servers[next(iter(layer.servers))]
    transaction.respond(response_to(incoming, 180, "Ringing"))
    assert layer.receive_request(request("INVITE"), channel) is None
    assert [m.status for m in channel.messages() if isinstance(m, Response)] == [180, 180]


def test_non_2xx_final_is_retransmitted_on_timer_g_until_timer_h() -> None:
    clock, layer, channel, incoming = server("INVITE")
    transaction = next(iter(layer.servers.values()))
    gave_up: list[bool] = []
    transaction.on_ack_timeout = lambda: gave_up.append(True)
    transaction.respond(response_to(incoming, 486, "Busy Here"))
    clock.advance(40)
    assert channel.times == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert gave_up == [True]
    assert layer.servers == {}


def test_ack_stops_timer_g_and_timer_i_absorbs_further_acks() -> None:
    clock, layer, channel, incoming = server("INVITE")
    transaction = next(iter(layer.servers.values()))
    transaction.respond(response_to(incoming, 404, "Not Found"))
    clock.advance(1)
    assert layer.receive_ack(request("ACK")) is True
    clock.advance(4.9)
    assert layer.receive_ack(request("ACK")) is True
    assert (channel.times, transaction.state) == ([0, 0.5], State.CONFIRMED)
    clock.advance(0.2)  # Timer I = T4
    assert transaction.state is State.TERMINATED


def test_retransmitted_invite_after_the_final_gets_the_final_again() -> None:
    _clock, layer, channel, incoming = server("INVITE")
    transaction = next(iter(layer.servers.values()))
    transaction.respond(response_to(incoming, 480, "Temporarily Unavailable"))
    layer.receive_request(request("INVITE"), channel)
    assert [m.status for m in channel.messages() if isinstance(m, Response)] == [480, 480]


def test_over_tcp_the_final_is_not_retransmitted_but_timer_h_still_runs() -> None:
    clock, layer, channel, incoming = server("INVITE", reliable=True)
    transaction = next(iter(layer.servers.values()))
    transaction.respond(response_to(incoming, 486, "Busy Here"))
    clock.advance(31.9)
    assert (channel.times, transaction.state) == ([0], State.COMPLETED)
    clock.advance(0.2)
    assert transaction.state is State.TERMINATED


def test_after_2xx_a_retransmitted_invite_does_not_start_a_second_call_until_timer_l() -> None:
    clock, layer, channel, incoming = server("INVITE")
    transaction = next(iter(layer.servers.values()))
    transaction.respond(response_to(incoming, 200, "OK"))
    clock.advance(31.9)
    assert layer.receive_request(request("INVITE"), channel) is None
    assert [m.status for m in channel.messages() if isinstance(m, Response)] == [200, 200]
    assert layer.receive_ack(request("ACK")) is False  # the 2xx ACK belongs to the dialog (TU)
    clock.advance(0.2)
    assert transaction.state is State.TERMINATED


# --- non-INVITE server: Timer J -------------------------------------------------------------------------


def test_timer_j_absorbs_retransmitted_requests_with_the_final_response() -> None:
    clock, layer, channel, incoming = server("BYE")
    transaction = next(iter(layer.servers.values()))
    assert layer.receive_request(request("BYE"), channel) is None  # Trying: absorbed silently
    assert channel.sent == []
    transaction.respond(response_to(incoming, 200, "OK"))
    clock.advance(31.9)
    assert layer.receive_request(request("BYE"), channel) is None
    assert [m.status for m in channel.messages() if isinstance(m, Response)] == [200, 200]
    clock.advance(0.2)  # Timer J = 64*T1
    assert layer.servers == {}
    assert layer.receive_request(request("BYE"), channel) is not None  # now it would be a new request


def test_timer_j_is_zero_over_tcp() -> None:
    clock, layer, _channel, incoming = server("BYE", reliable=True)
    next(iter(layer.servers.values())).respond(response_to(incoming, 200, "OK"))
    clock.advance(0)
    assert layer.servers == {}


def test_non_invite_server_in_proceeding_resends_the_provisional() -> None:
    _clock, layer, channel, incoming = server("REGISTER")
    transaction = next(iter(layer.servers.values()))
    transaction.respond(response_to(incoming, 100, "Trying"))
    layer.receive_request(request("REGISTER"), channel)
    assert [m.status for m in channel.messages() if isinstance(m, Response)] == [100, 100]


def test_responses_after_the_final_are_ignored() -> None:
    _clock, layer, channel, incoming = server("OPTIONS")
    transaction = next(iter(layer.servers.values()))
    transaction.respond(response_to(incoming, 200, "OK"))
    transaction.respond(response_to(incoming, 500, "Late"))
    assert [m.status for m in channel.messages() if isinstance(m, Response)] == [200]


# --- matching -------------------------------------------------------------------------------------------


def test_cancel_finds_its_invite_transaction_and_other_branches_do_not_match() -> None:
    _clock, layer, _channel, _incoming = server("INVITE")
    assert layer.find_invite(request("CANCEL")) is layer.servers[next(iter(layer.servers))]
    assert layer.find_invite(request("CANCEL", branch="z9hG4bKother")) is None


def test_rfc2543_requests_without_cookie_branch_match_on_dialog_fields() -> None:
    clock = ManualScheduler()
    layer = TransactionLayer(clock)
    channel = FakeChannel()
    assert layer.receive_request(request("INVITE", branch="old1"), channel) is not None
    assert layer.receive_request(request("INVITE", branch="old1"), channel) is None
    assert layer.receive_request(request("INVITE", branch="old1", cseq=2), channel) is not None


def test_a_response_for_an_unknown_transaction_is_not_matched() -> None:
    layer = TransactionLayer(ManualScheduler())
    assert layer.receive_response(response(200, "OK", branch="z9hG4bKnobody")) is False
