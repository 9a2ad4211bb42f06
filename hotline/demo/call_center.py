"""Demo call center: the two queues of the demo IVR, a seat per demo agent and one for the supervisor.

Every agent starts signed out: a seat's phone rings only once someone has registered it and signed in at
the desk (an agent at a seat without a phone would be offered calls nobody can answer). Each seat has its
usual agent (agent1 at A-01, …), whom the desk offers it first. The phones register as SIP users 8001–8010
(the supervisor's, S-01, as 8091) with the demo SIP password: what `hotline simulate airing` registers for
its virtual agent phones, and what a softphone needs to try the demo (`hotline demo` prints it all).
"""

from __future__ import annotations

from hotline.calls.models import Queue, Seat
from hotline.calls.seats import digest_ha1
from hotline.simulate import DEMO_SIP_PASSWORD

__all__ = ["DEMO_SIP_PASSWORD", "create_call_center"]
DEMO_REALM = "hotline"
FIRST_SIP_USER = 8001
SUPERVISOR_SEAT, SUPERVISOR_SIP_USER = "S-01", "8091"


def create_call_center(agent_ids: list[int], supervisor_id: int) -> dict[str, int]:
    """Queues `orders` and `after_sales`; seats A-01… for the agents and S-01 for the supervisor, nobody
    signed in (each seat knows its usual agent)."""
    Queue.objects.bulk_create([
        Queue(name="orders", label="订购", wrapup_seconds=15, max_wait_seconds=180, max_length=200,
              announce_seconds=30),
        Queue(name="after_sales", label="售后", wrapup_seconds=30, max_wait_seconds=300, max_length=100,
              announce_seconds=30),
    ])
    seats = [_seat(f"A-{position + 1:02d}", str(FIRST_SIP_USER + position), agent_id)
             for position, agent_id in enumerate(agent_ids)]
    seats.append(_seat(SUPERVISOR_SEAT, SUPERVISOR_SIP_USER, supervisor_id))
    Seat.objects.bulk_create(seats)
    return {"queues": 2, "seats": len(seats)}


def _seat(name: str, username: str, usual_agent_id: int) -> Seat:
    return Seat(name=name, sip_username=username, realm=DEMO_REALM, usual_agent_id=usual_agent_id,
                ha1=digest_ha1(username, DEMO_REALM, DEMO_SIP_PASSWORD))
