"""Recordings and voicemails played in the browser: the stored WAV, whole or one byte range.

A file is found by its row's id, never by a path from the request, and served only if it lies inside the
recordings folder the engine writes to (`DATA_DIR/recordings`, voicemails in its `voicemail/`): a row whose
path points elsewhere is answered 404, as a missing file is. Browsers seek in an `<audio>` by asking for
byte ranges, so a single `Range: bytes=…` is answered 206 with exactly that slice; several ranges at once
(which players do not ask for) get the whole file. The file is sent in blocks: under ASGI (uvicorn) read
on a worker thread so the event loop never waits for the disk, and without building the whole file in memory,
which a synchronous iterator under ASGI would (Django lists it); under WSGI (the test client) read in place.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

BLOCK_SIZE = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def recordings_dir() -> Path:
    """Where the engine writes recordings and, in `voicemail/`, voicemails (see calls' `engine` command)."""
    return Path(settings.DATA_DIR) / "recordings"


def stored_file(path: str) -> Path:
    """The file a recording or voicemail row names, if it lies inside the recordings folder and exists;
    Http404 otherwise (a row pointing outside, say at /etc/passwd, is treated as a missing file)."""
    root = recordings_dir().resolve()
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise Http404(_("The audio file is missing."))
    return resolved


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end`, both included, of a file of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The Range header asks only for bytes past the end of the file (416)."""


def requested_range(header: str, size: int) -> ByteRange | None:
    """The one byte range a `Range` header asks for, clipped to the file; None for the whole file (no
    header, a header we do not read, or several ranges). Raises Unsatisfiable when nothing of it exists."""
    match = _RANGE.match(header.replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-500": the last 500 bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1, size)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise Unsatisfiable
    return ByteRange(start, end, size)


async def _blocks_off_loop(handle: BinaryIO, remaining: int) -> AsyncIterator[bytes]:
    """`remaining` bytes from the handle's position, in blocks read on a worker thread; closes the handle."""
    try:
        while remaining > 0:
            block = await asyncio.to_thread(handle.read, min(BLOCK_SIZE, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        handle.close()


def _blocks(handle: BinaryIO, remaining: int) -> Iterator[bytes]:
    """`remaining` bytes from the handle's position, in blocks; closes the handle."""
    try:
        while remaining > 0:
            block = handle.read(min(BLOCK_SIZE, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        handle.close()


def audio_response(request: HttpRequest, path: Path, filename: str) -> HttpResponseBase:
    """The WAV at `path` as `audio/wav`: 200 whole, 206 for a byte range, 416 for a range past the end."""
    size = path.stat().st_size
    try:
        wanted = requested_range(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    part = wanted or ByteRange(0, size - 1, size)
    handle = path.open("rb")
    handle.seek(part.start, os.SEEK_SET)
    body = (_blocks_off_loop if isinstance(request, ASGIRequest) else _blocks)(handle, part.length)
    response = StreamingHttpResponse(body, status=206 if wanted else 200, content_type="audio/wav")
    response["Content-Length"] = str(part.length)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private"  # a customer's voice is never kept by a shared cache
    if wanted:
        response["Content-Range"] = f"bytes {part.start}-{part.end}/{size}"
    return response
