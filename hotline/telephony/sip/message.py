"""SIP messages (RFC 3261 §7): a strict parser and a serialiser.

The parser refuses rather than guesses. It raises `ParseError`; when the input carries enough to build a
response (Via, From, To, Call-ID and CSeq), the error holds that request so that the caller can answer it
with the error's status, otherwise the input is to be dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_MESSAGE_BYTES = 65536
MAX_HEADERS = 128
MAX_HEADER_VALUE = 8192
MAX_CALL_ID = 512
MAX_CSEQ = 2**31 - 1  # RFC 3261 §8.1.1.5: the sequence number must be expressible as a 32-bit unsigned
SIP_VERSION = "SIP/2.0"
BRANCH_COOKIE = "z9hG4bK"

COMPACT = {
    "i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length", "c": "content-type",
    "f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via",
}  # fmt: skip
CANONICAL = {
    "call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate", "max-forwards": "Max-Forwards",
    "min-expires": "Min-Expires", "content-length": "Content-Length", "content-type": "Content-Type",
    "retry-after": "Retry-After", "record-route": "Record-Route", "user-agent": "User-Agent",
}  # fmt: skip
SINGLE = ("call-id", "cseq", "from", "to", "content-length", "max-forwards", "expires")
REQUIRED = ("via", "from", "to", "call-id", "cseq")
TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
REQUEST_LINE = re.compile(r"^([A-Za-z0-9.!%*_+`'~-]+) (\S+) (\S+)$")
STATUS_LINE = re.compile(r"^(SIP/\d+\.\d+) ([1-6]\d\d)(?: (.*))?$")
URI_SCHEMES = ("sip", "sips", "tel")


class ParseError(Exception):
    """Input that is not an acceptable SIP message; `request` is set when it can still be answered."""

    def __init__(self, reason: str, status: int = 400, request: Request | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.request = request


def canonical(name: str) -> str:
    """The conventional spelling of a header name, used when serialising."""
    lower = name.lower()
    lower = COMPACT.get(lower, lower)
    return CANONICAL.get(lower, "-".join(part.capitalize() for part in lower.split("-")))


class Headers:
    """An ordered multi-map of header fields, looked up case-insensitively and by compact form."""

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        for name, value in items or []:
            self.add(name, value)

    @staticmethod
    def _key(name: str) -> str:
        lower = name.lower()
        return COMPACT.get(lower, lower)

    def add(self, name: str, value: str) -> None:
        self._items.append((canonical(name), value))

    def get(self, name: str) -> str | None:
        key = self._key(name)
        return next((value for item, value in self._items if self._key(item) == key), None)

    def get_all(self, name: str) -> list[str]:
        key = self._key(name)
        return [value for item, value in self._items if self._key(item) == key]

    def values(self, name: str) -> list[str]:
        """Every comma-separated value of a header, across all of its lines."""
        return [part for line in self.get_all(name) for part in split_commas(line)]

    def set(self, name: str, value: str) -> None:
        self.remove(name)
        self.add(name, value)

    def remove(self, name: str) -> None:
        key = self._key(name)
        self._items = [(item, value) for item, value in self._items if self._key(item) != key]

    def replace_first(self, name: str, value: str) -> None:
        key = self._key(name)
        for index, (item, _) in enumerate(self._items):
            if self._key(item) == key:
                self._items[index] = (item, value)
                return
        self.add(name, value)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        return Headers(self.items())


def split_commas(value: str) -> list[str]:
    """Split a header value on commas that are outside quotes and angle brackets."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for index, char in enumerate(value):
        if char == '"' and (index == 0 or value[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth = max(0, depth - 1)
        elif char == "," and not quoted and depth == 0:
            parts.append(value[start:index].strip())
            start = index + 1
    parts.append(value[start:].strip())
    return [part for part in parts if part]


def parse_params(text: str) -> dict[str, str]:
    """`;a=b;c` → {"a": "b", "c": ""}; names are lowercased, values keep their case."""
    params: dict[str, str] = {}
    for piece in text.split(";"):
        piece = piece.strip()
        if not piece:
            continue
        name, _, value = piece.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


@dataclass
class Via:
    """One Via value: `SIP/2.0/UDP host:port;branch=…`."""

    transport: str
    host: str
    port: int | None
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Via:
        match = re.match(r"^SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+([^;\s]+)\s*(;.*)?$", text.strip())
        if not match:
            raise ValueError("bad Via")
        host, port = split_hostport(match.group(2))
        return cls(match.group(1).upper(), host, port, parse_params(match.group(3) or ""))

    @property
    def branch(self) -> str:
        return self.params.get("branch", "")

    def __str__(self) -> str:
        hostport = f"{self.host}:{self.port}" if self.port is not None else self.host
        params = "".join(f";{key}={value}" if value else f";{key}" for key, value in self.params.items())
        return f"SIP/2.0/{self.transport} {hostport}{params}"


def split_hostport(text: str) -> tuple[str, int | None]:
    """`host`, `host:port` or `[v6]:port` → (host, port); raises ValueError on a bad port or empty host."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = text.partition(":")
    if not host or not re.match(r"^[A-Za-z0-9.\-:_]+$", host):
        raise ValueError("bad host")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError("bad port")
    return host, int(port_text)


@dataclass
class NameAddr:
    """A From/To/Contact value: optional display name, URI, header parameters (tag, expires…)."""

    display: str
    uri: str
    params: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        text = text.strip()
        if len(re.findall(r'(?<!\\)"', text)) % 2:
            raise ValueError("unbalanced quotes")
        if "<" in text:
            display, _, rest = text.partition("<")
            uri, closed, params = rest.partition(">")
            if not closed:
                raise ValueError("unclosed <")
            return cls(display.strip().strip('"'), uri.strip(), parse_params(params))
        uri, _, params = text.partition(";")  # without <>, parameters belong to the header (RFC 3261 §20.10)
        if not uri or " " in uri.strip():
            raise ValueError("bad address")
        return cls("", uri.strip(), parse_params(params))

    @property
    def tag(self) -> str:
        return self.params.get("tag", "")


@dataclass
class Message:
    """What requests and responses share."""

    headers: Headers
    body: bytes

    @property
    def call_id(self) -> str:
        return self.headers.get("Call-ID") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = (self.headers.get("CSeq") or "").strip().partition(" ")
        return int(number), method.strip()

    @property
    def vias(self) -> list[Via]:
        return [Via.parse(value) for value in self.headers.values("Via")]

    @property
    def top_via(self) -> Via:
        return Via.parse(self.headers.values("Via")[0])

    def _serialise(self, start_line: str) -> bytes:
        lines = [start_line]
        lines += [f"{name}: {value}" for name, value in self.headers.items() if name != "Content-Length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Request(Message):
    """A SIP request."""

    method: str = ""
    uri: str = ""

    def serialise(self) -> bytes:
        return self._serialise(f"{self.method} {self.uri} {SIP_VERSION}")


@dataclass
class Response(Message):
    """A SIP response."""

    status: int = 0
    reason: str = ""

    def serialise(self) -> bytes:
        return self._serialise(f"{SIP_VERSION} {self.status} {self.reason}")


def parse(data: bytes) -> Request | Response:
    """Parse and validate one message; raise `ParseError` (with the request when it is answerable)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ParseError("Message Too Large", 513)
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise ParseError("no end of headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("headers are not UTF-8") from exc
    start, headers = _split_head(text)
    message = _start(start, headers, body)
    _check(message)
    return message


def _split_head(text: str) -> tuple[str, Headers]:
    lines = text.lstrip("\r\n").split("\r\n")
    if any("\0" in line or "\n" in line or "\r" in line for line in lines):
        raise ParseError("bare CR, LF or NUL in headers")
    unfolded: list[str] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += " " + line.strip()  # RFC 3261 §7.3.1 line folding
        else:
            unfolded.append(line)
    headers = Headers()
    for line in unfolded:
        name, colon, value = line.partition(":")
        if not colon or not TOKEN.match(name.strip()):
            raise ParseError("malformed header line")
        headers.add(name.strip(), value.strip())
    return lines[0], headers


def _start(start: str, headers: Headers, body: bytes) -> Request | Response:
    status = STATUS_LINE.match(start)
    if status:
        if status.group(1) != SIP_VERSION:
            raise ParseError("bad version")
        return Response(headers, body, int(status.group(2)), status.group(3) or "")
    request = REQUEST_LINE.match(start)
    if not request:
        raise ParseError("bad start line")
    method, uri, version = request.groups()
    message = Request(headers, body, method, uri)
    if version != SIP_VERSION:
        raise _answerable(message, "Version Not Supported", 505)
    return message


def _answerable(message: Request | Response, reason: str, status: int = 400) -> ParseError:
    """An error for `message`: answerable only for a request (not ACK) whose essential headers are sound."""
    if not isinstance(message, Request) or message.method == "ACK" or not _essentials_sound(message.headers):
        return ParseError(reason, status)
    return ParseError(reason, status, message)


def _essentials_sound(headers: Headers) -> bool:
    """Via, From, To, Call-ID and CSeq are present and the ones a response copies verbatim make sense."""
    if any(not headers.get(name) for name in REQUIRED):
        return False
    try:
        Via.parse(headers.values("Via")[0])
        NameAddr.parse(headers.get("From") or "")
        NameAddr.parse(headers.get("To") or "")
    except (ValueError, IndexError):
        return False
    call_id = headers.get("Call-ID") or ""
    return len(call_id) <= MAX_CALL_ID


def _check(message: Request | Response) -> None:
    headers = message.headers
    if not _essentials_sound(headers):
        raise ParseError("missing or malformed Via, From, To, Call-ID or CSeq")
    if len(headers) > MAX_HEADERS:
        raise _answerable(message, "Too Many Headers")  # the 64 KiB cap already bounds the parsing work
    if any(len(value) > MAX_HEADER_VALUE for _, value in headers.items()):
        raise _answerable(message, "Header Too Long")
    for name in SINGLE:
        if len(headers.get_all(name)) > 1:
            raise _answerable(message, f"Duplicate {canonical(name)}")
    _check_cseq(message)
    _check_length(message)
    if isinstance(message, Request):
        _check_request(message)


def _check_cseq(message: Request | Response) -> None:
    parts = (message.headers.get("CSeq") or "").split()
    if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) > MAX_CSEQ or not TOKEN.match(parts[1]):
        raise _answerable(message, "Bad CSeq")
    if isinstance(message, Request) and parts[1] != message.method:
        raise _answerable(message, "CSeq Method Mismatch")


def _check_length(message: Request | Response) -> None:
    declared = message.headers.get("Content-Length")
    if declared is None:
        return  # optional over UDP (RFC 3261 §20.14); the TCP framer insists on it
    if not declared.isdigit() or len(declared) > 9:
        raise _answerable(message, "Bad Content-Length")
    length = int(declared)
    if length > len(message.body):
        raise _answerable(message, "Content-Length Exceeds Body")
    message.body = message.body[:length]  # RFC 3261 §18.3: extra bytes after the body are discarded


def _check_request(request: Request) -> None:
    scheme = request.uri.partition(":")[0].lower()
    if not request.uri.partition(":")[2]:
        raise _answerable(request, "Bad Request-URI")
    if scheme not in URI_SCHEMES:
        raise _answerable(request, "Unsupported URI Scheme", 416)
    forwards = request.headers.get("Max-Forwards")
    if forwards is not None:
        if not forwards.isdigit() or int(forwards) > 255:
            raise _answerable(request, "Bad Max-Forwards")
        if int(forwards) == 0 and request.method != "OPTIONS":
            raise _answerable(request, "Too Many Hops", 483)  # OPTIONS may be answered here (RFC 3261 §11)
    for name in ("Expires", "Min-Expires"):
        value = request.headers.get(name)
        if value is not None and (not value.isdigit() or len(value) > 10):
            raise _answerable(request, f"Bad {name}")


def request_headers(via: str, from_: str, to: str, call_id: str, cseq: str) -> Headers:
    """The headers every request we originate starts with (RFC 3261 §8.1.1), Max-Forwards 70."""
    headers = Headers()
    for name, value in (("Via", via), ("Max-Forwards", "70"), ("From", from_), ("To", to), ("Call-ID", call_id),
                        ("CSeq", cseq)):
        headers.add(name, value)
    return headers


def response_to(request: Request, status: int, reason: str, to_tag: str = "") -> Response:
    """A response that copies Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2); adds a To tag if given."""
    headers = Headers()
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.headers.get_all(name):
            headers.add(name, value)
    to = headers.get("To") or ""
    if to_tag and status > 100 and "tag=" not in to.lower():
        headers.replace_first("To", f"{to};tag={to_tag}")
    return Response(headers, b"", status, reason)
