"""SDP (RFC 4566) parsing and building, and audio offer/answer (RFC 3264) for PCMA, PCMU and RFC 4733 events.

The parser is strict and bounded: anything it does not understand raises `SdpError` (answer 400), it never
raises anything else. The answerer picks one codec, keeps the offerer's telephone-event payload type number,
answers every m= line (port 0 for the streams it rejects) and mirrors the offer's direction (hold).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

MAX_SDP_BYTES = 8192
MAX_LINES = 256
MAX_MEDIA = 16
PTIME = 20
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
STATIC_CODECS = {0: ("PCMU", 8000), 8: ("PCMA", 8000)}
SUPPORTED = ("PCMA", "PCMU")
TELEPHONE_EVENT = "telephone-event"
LINE = re.compile(r"^([a-z])=(.*)$")
RTPMAP = re.compile(r"^(\d{1,3}) ([A-Za-z0-9_.-]+)/(\d{1,6})(?:/(\d{1,2}))?$")
TOKEN = re.compile(r"^[\x21-\x7e]+$")


class SdpError(ValueError):
    """A body that is not an SDP we can use (answer 400)."""


class NotAcceptable(ValueError):
    """An offer with no audio stream we can take (answer 488)."""


@dataclass(frozen=True)
class Codec:
    """A negotiated audio payload: name as in rtpmap, RTP payload type and clock rate."""

    name: str
    payload_type: int
    clock_rate: int = 8000


@dataclass
class Media:
    """One m= section with the attributes we interpret; others are kept in `attributes`."""

    kind: str
    port: int
    proto: str
    formats: list[str]
    connection: str | None = None
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)
    fmtp: dict[int, str] = field(default_factory=dict)
    direction: str | None = None
    ptime: int | None = None
    attributes: list[str] = field(default_factory=list)

    def codec(self, payload_type: int) -> tuple[str, int] | None:
        """(encoding name, clock rate) of a payload type: rtpmap first, then the static table."""
        return self.rtpmap.get(payload_type) or STATIC_CODECS.get(payload_type)


@dataclass
class Session:
    """A session description: origin, optional session-level c= and direction, and media sections."""

    username: str
    session_id: str
    version: int
    origin_address: str
    name: str = "-"
    connection: str | None = None
    direction: str | None = None
    media: list[Media] = field(default_factory=list)

    def connection_of(self, media: Media) -> str | None:
        """The c= address that applies to a media section (its own, else the session's)."""
        return media.connection or self.connection

    def direction_of(self, media: Media) -> str:
        return media.direction or self.direction or "sendrecv"


# --- parsing --------------------------------------------------------------------------------------------------


def parse(body: bytes) -> Session:
    """Parse an SDP body; raise `SdpError` for anything malformed, oversized or unsupported."""
    if len(body) > MAX_SDP_BYTES:
        raise SdpError("SDP too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SdpError("SDP is not UTF-8") from exc
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    if not lines or len(lines) > MAX_LINES:
        raise SdpError("empty SDP or too many lines")
    fields = [_field(line) for line in lines]
    if fields[0] != ("v", "0"):
        raise SdpError("SDP must start with v=0")
    return _build_session(fields[1:])


def _field(line: str) -> tuple[str, str]:
    match = LINE.match(line)
    if not match or "\r" in line or "\0" in line:
        raise SdpError("malformed SDP line")
    return match.group(1), match.group(2)


def _build_session(fields: list[tuple[str, str]]) -> Session:
    session: Session | None = None
    current: Media | None = None
    for kind, value in fields:
        if kind == "o":
            if session is not None:
                raise SdpError("duplicate o=")
            session = _origin(value)
        elif session is None:
            raise SdpError("o= must follow v=")
        elif kind == "m":
            current = _media(value)
            session.media.append(current)
            if len(session.media) > MAX_MEDIA:
                raise SdpError("too many media sections")
        else:
            _apply(session, current, kind, value)
    if session is None:
        raise SdpError("no o= line")
    return session


def _origin(value: str) -> Session:
    parts = value.split(" ")
    if len(parts) != 6 or not all(TOKEN.match(part) for part in parts):
        raise SdpError("bad o=")
    username, session_id, version, nettype, addrtype, address = parts
    if not version.isdigit() or len(version) > 20 or nettype != "IN" or addrtype not in ("IP4", "IP6"):
        raise SdpError("bad o=")
    return Session(username, session_id, int(version), address)


def _media(value: str) -> Media:
    parts = value.split(" ")
    if len(parts) < 4 or not all(TOKEN.match(part) for part in parts):
        raise SdpError("bad m=")
    kind, port_text, proto, *formats = parts
    port_text = port_text.split("/")[0]
    if not port_text.isdigit() or len(port_text) > 5 or int(port_text) > 65535:
        raise SdpError("bad m= port")
    if proto.startswith("RTP/") and not all(fmt.isdigit() and int(fmt) <= 127 for fmt in formats):
        raise SdpError("bad RTP payload type")
    return Media(kind, int(port_text), proto, formats)


def _connection(value: str) -> str:
    parts = value.split(" ")
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError("bad c=")
    try:
        address = ipaddress.ip_address(parts[2])
    except ValueError as exc:
        raise SdpError("c= address must be an IP literal") from exc  # no TTL/multicast groups, no DNS names
    if (address.version == 4) != (parts[1] == "IP4") or address.is_multicast:
        raise SdpError("bad c= address")
    return str(address)


def _apply(session: Session, media: Media | None, kind: str, value: str) -> None:
    if kind == "s":
        session.name = value or "-"
    elif kind == "c":
        if media is None:
            session.connection = _connection(value)
        else:
            media.connection = _connection(value)
    elif kind == "a":
        _attribute(session, media, value)


def _attribute(session: Session, media: Media | None, value: str) -> None:
    name, _, rest = value.partition(":")
    if name in DIRECTIONS:
        if media is None:
            session.direction = name
        else:
            media.direction = name
    elif media is None:
        return
    elif name == "rtpmap":
        _rtpmap(media, rest)
    elif name == "fmtp":
        payload, _, params = rest.partition(" ")
        if not payload.isdigit() or int(payload) > 127:
            raise SdpError("bad fmtp")
        media.fmtp[int(payload)] = params.strip()
    elif name == "ptime":
        if not rest.isdigit() or not 0 < int(rest) <= 1000:
            raise SdpError("bad ptime")
        media.ptime = int(rest)
    else:
        media.attributes.append(value)


def _rtpmap(media: Media, rest: str) -> None:
    match = RTPMAP.match(rest.strip())
    if not match or int(match.group(1)) > 127 or int(match.group(3)) == 0:
        raise SdpError("bad rtpmap")
    media.rtpmap[int(match.group(1))] = (match.group(2), int(match.group(3)))


# --- building -------------------------------------------------------------------------------------------------


def serialise(session: Session) -> bytes:
    """The SDP text of a session; every media section carries its own c= when it has one."""
    family = "IP6" if ":" in session.origin_address else "IP4"
    lines = [
        "v=0",
        f"o={session.username} {session.session_id} {session.version} IN {family} {session.origin_address}",
        f"s={session.name}",
    ]
    if session.connection:
        lines.append(f"c=IN {_family(session.connection)} {session.connection}")
    lines.append("t=0 0")
    if session.direction:
        lines.append(f"a={session.direction}")
    for media in session.media:
        lines += _media_lines(media)
    return ("\r\n".join(lines) + "\r\n").encode()


def _family(address: str) -> str:
    return "IP6" if ":" in address else "IP4"


def _media_lines(media: Media) -> list[str]:
    lines = [f"m={media.kind} {media.port} {media.proto} {' '.join(media.formats)}"]
    if media.connection:
        lines.append(f"c=IN {_family(media.connection)} {media.connection}")
    for payload, (name, rate) in media.rtpmap.items():
        lines.append(f"a=rtpmap:{payload} {name}/{rate}")
        if payload in media.fmtp:
            lines.append(f"a=fmtp:{payload} {media.fmtp[payload]}")
    if media.ptime:
        lines.append(f"a=ptime:{media.ptime}")
    if media.direction:
        lines.append(f"a={media.direction}")
    lines += [f"a={attribute}" for attribute in media.attributes]
    return lines


# --- offer/answer ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Negotiated:
    """The outcome of offer/answer for the audio stream, as the media plane needs it.

    `remote_address`/`remote_port` is where to send RTP (port 0 or address 0.0.0.0: send nothing);
    `direction` is ours (sendrecv, sendonly, recvonly, inactive).
    """

    remote_address: str
    remote_port: int
    codec: Codec
    telephone_event: int | None
    direction: str
    ptime: int = PTIME

    @property
    def on_hold(self) -> bool:
        """True when the peer does not want to receive from us."""
        return self.direction in ("recvonly", "inactive")


@dataclass
class LocalSdp:
    """Our side of an SDP session across offers and answers: origin id and a version bumped on each change."""

    address: str
    port: int
    session_id: str = "0"
    version: int = 0
    codecs: tuple[str, ...] = SUPPORTED
    telephone_event: int = 101
    _last: bytes = b""

    def stamp(self, session: Session) -> bytes:
        """Serialise with our origin, bumping the version only when the description changed (RFC 3264 §8)."""
        session.username, session.session_id, session.origin_address = "hotline", self.session_id, self.address
        session.version = self.version
        body = serialise(session)
        if self._last and body != self._last:
            self.version += 1
            session.version = self.version
            body = serialise(session)
        self._last = body
        return body


MIRROR = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}


def answer_direction(offered: str, local: str = "sendrecv") -> str:
    """Our direction in an answer: the mirror of the offer's, narrowed by what we want (local hold)."""
    mirrored = MIRROR[offered]
    receives = mirrored in ("sendrecv", "recvonly") and local in ("sendrecv", "recvonly")
    sends = mirrored in ("sendrecv", "sendonly") and local in ("sendrecv", "sendonly")
    return {(True, True): "sendrecv", (True, False): "sendonly", (False, True): "recvonly"}.get(
        (sends, receives), "inactive"
    )


def _choose(media: Media, preferred: tuple[str, ...]) -> tuple[Codec, int | None] | None:
    """The first offered codec we support (the offerer's order) and the offered telephone-event PT."""
    chosen: Codec | None = None
    event: int | None = None
    for fmt in media.formats:
        payload = int(fmt)
        described = media.codec(payload)
        if described is None:
            continue
        name, rate = described
        if name.lower() == TELEPHONE_EVENT and rate == 8000 and event is None:
            event = payload
        elif chosen is None and rate == 8000 and name.upper() in preferred:
            chosen = Codec(name.upper(), payload, rate)
    return (chosen, event) if chosen is not None else None


def _audio_choice(offer: Session, preferred: tuple[str, ...]) -> tuple[int, Codec, int | None]:
    for index, media in enumerate(offer.media):
        if media.kind != "audio" or media.port == 0 or media.proto != "RTP/AVP":
            continue
        if offer.connection_of(media) is None:
            raise SdpError("no c= for the audio stream")
        choice = _choose(media, preferred)
        if choice is not None:
            return index, choice[0], choice[1]
    raise NotAcceptable("no common audio codec")


def check_offer(offer: Session, preferred: tuple[str, ...] = SUPPORTED) -> Negotiated:
    """What answering `offer` would give (raise `NotAcceptable` → 488, `SdpError` → 400), without answering."""
    index, codec, event = _audio_choice(offer, preferred)
    media = offer.media[index]
    address = offer.connection_of(media) or "0.0.0.0"
    offered = offer.direction_of(media)
    if address in ("0.0.0.0", "::"):
        offered = {"sendrecv": "sendonly", "recvonly": "inactive"}.get(offered, offered)  # RFC 2543-style hold
    return Negotiated(address, media.port, codec, event, answer_direction(offered), media.ptime or PTIME)


def answer(offer: Session, local: LocalSdp, hold: bool = False) -> tuple[bytes, Negotiated]:
    """Our answer to `offer` and the negotiated audio stream; raise `NotAcceptable` (488) or `SdpError` (400)."""
    index, _, _ = _audio_choice(offer, local.codecs)
    negotiated = check_offer(offer, local.codecs)
    if hold:
        negotiated = replace(negotiated, direction=answer_direction(MIRROR[negotiated.direction], "sendonly"))
    sections = [_rejected(media) for media in offer.media]
    sections[index] = _answer_media(negotiated, local)
    session = Session("hotline", local.session_id, local.version, local.address, connection=local.address)
    session.media = sections
    return local.stamp(session), negotiated


def _rejected(media: Media) -> Media:
    return Media(media.kind, 0, media.proto, media.formats[:1] or ["0"])


def _answer_media(negotiated: Negotiated, local: LocalSdp) -> Media:
    codec = negotiated.codec
    media = Media("audio", local.port, "RTP/AVP", [str(codec.payload_type)])
    media.rtpmap[codec.payload_type] = (codec.name, codec.clock_rate)
    if negotiated.telephone_event is not None:
        media.formats.append(str(negotiated.telephone_event))
        media.rtpmap[negotiated.telephone_event] = (TELEPHONE_EVENT, 8000)
        media.fmtp[negotiated.telephone_event] = "0-16"
    media.ptime = PTIME
    media.direction = negotiated.direction
    return media


def offer(local: LocalSdp, direction: str = "sendrecv") -> bytes:
    """An audio offer with our codecs (PCMA, PCMU by default) and telephone-event."""
    media = Media("audio", local.port, "RTP/AVP", [])
    for name in local.codecs:
        payload = next(pt for pt, (codec, _) in STATIC_CODECS.items() if codec == name)
        media.formats.append(str(payload))
        media.rtpmap[payload] = (name, 8000)
    media.formats.append(str(local.telephone_event))
    media.rtpmap[local.telephone_event] = (TELEPHONE_EVENT, 8000)
    media.fmtp[local.telephone_event] = "0-16"
    media.ptime, media.direction = PTIME, direction
    session = Session("hotline", local.session_id, local.version, local.address, connection=local.address)
    session.media = [media]
    return local.stamp(session)


def accept_answer(sent_offer: bytes, answer_body: bytes) -> Negotiated:
    """The stream an answer to our offer sets up; raise `SdpError` when it is not a valid answer to it."""
    ours, theirs = parse(sent_offer), parse(answer_body)
    if len(theirs.media) != len(ours.media):
        raise SdpError("answer has a different number of m= lines")
    offered = {int(fmt) for fmt in ours.media[0].formats}
    media = theirs.media[0]
    if media.port == 0:
        raise NotAcceptable("audio stream rejected")
    payloads = [int(fmt) for fmt in media.formats if fmt.isdigit() and int(fmt) in offered]
    try:
        return check_offer(_only(theirs, media, payloads), tuple(SUPPORTED))  # our direction mirrors theirs
    except NotAcceptable as exc:
        raise SdpError("answer has no codec we offered") from exc


def _only(session: Session, media: Media, payloads: list[int]) -> Session:
    kept = replace(media, formats=[str(payload) for payload in payloads])
    return replace(session, media=[kept])
