"""Demo call center: the two queues of the demo IVR and ten seats with the demo agents logged in.

The seats' phones register as SIP users 8001–8010 with the demo SIP password, which is what
`hotline simulate airing` uses for its virtual agent phones (and what a softphone needs to try the demo).
"""

from __future__ import annotations

from hotline.calls.models import Queue, Seat
from hotline.calls.seats import digest_ha1
from hotline.simulate import DEMO_SIP_PASSWORD

__all__ = ["DEMO_SIP_PASSWORD", "create_call_center"]
DEMO_REALM = "hotline"
FIRST_SIP_USER = 8001


def create_call_center(agent_ids: list[int]) -> dict[str, int]:
    """Queues `orders` and `after_sales`, and a seat per demo agent with that agent logged in."""
    Queue.objects.bulk_create([
        Queue(name="orders", wrapup_seconds=5, max_wait_seconds=180, max_length=200, announce_seconds=30),
        Queue(name="after_sales", wrapup_seconds=10, max_wait_seconds=300, max_length=100, announce_seconds=30),
    ])
    seats = []
    for position, agent_id in enumerate(agent_ids):
        username = str(FIRST_SIP_USER + position)
        seats.append(Seat(name=f"A-{position + 1:02d}", sip_username=username, realm=DEMO_REALM,
                          ha1=digest_ha1(username, DEMO_REALM, DEMO_SIP_PASSWORD), agent_id=agent_id))
    Seat.objects.bulk_create(seats)
    return {"queues": 2, "seats": len(seats)}
