"""Reading SIP for the media plane: the far end's RTP address and codec, and the number in a URI."""

from __future__ import annotations

from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import Remote
from hotline.telephony.sip import sdp


def remote_of(negotiated: sdp.Negotiated, *, nat: bool = True) -> Remote:
    """What the media plane needs from an SDP negotiation; `nat`: the peer may send from another address
    (a phone behind NAT), else only the SDP address is ever latched (a trunk)."""
    return Remote((negotiated.remote_address, negotiated.remote_port), Codec(negotiated.codec.payload_type),
                  negotiated.telephone_event, nat)


def user_of(uri: str) -> str:
    """The user part of a SIP URI (the number), or the whole URI when it has none."""
    rest = uri.partition(":")[2] or uri
    user, at, _host = rest.split(";")[0].rpartition("@")
    return user if at else rest
