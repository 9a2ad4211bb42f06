"""A live Hotline inside one process, for the end-to-end tests (desk, wallboard, simulator, browser screens).

* `serving()` serves `hotline.asgi.application` (HTTP and the websockets) with uvicorn on a thread of its
  own, on 127.0.0.1 and a free port, and yields its base URL.
* `engine_running()` starts the telephony engine (`EmbeddedEngine`) on a free SIP port: it reads seats,
  queues and routes from the database as `hotline demo` does, and the web side's commands reach it.
* `SipLab` runs phones (`hotline.phones`) on an event loop thread of its own: agent
  phones that register with their seat's credentials, and callers that dial the hotline.
* `chromium()` launches Debian's headless Chromium with Playwright (never a downloaded browser).
* `log_in(page, base_url, username, password)` signs a Playwright page in through /login/.

Everything here talks to the database from its own threads, so it works with any database the server can
open from several threads: pytest-django's test databases (with `transactional_db`, so that the test's
rows are committed) on SQLite and PostgreSQL. The caller of these helpers must not touch the ORM inside a
Playwright sync block (Playwright runs an event loop there, and Django refuses sync queries on it).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from hotline.calls.host.embedded import EmbeddedEngine
from hotline.phones import AgentPhone, Caller, CallerPlan, CallResult, SipEndpoint

T = TypeVar("T")
HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
START_TIMEOUT = 20.0  # seconds for the server or the SIP thread to come up
STOP_TIMEOUT = 10.0
UNREGISTER_TIMEOUT = 3.0


@contextmanager
def serving(host: str = HOST, port: int = 0) -> Iterator[str]:
    """Serve the ASGI app with uvicorn (websockets included) on a background thread; yields its base URL
    (`port` 0: a free port).

    On exit the server stops: open websockets are closed, requests in flight get a few seconds.
    """
    import uvicorn

    from hotline.asgi import application

    # Port 0 lets the system pick a free port as it binds: no window for another process to take it.
    config = uvicorn.Config(application, host=host, port=port, loop="asyncio", lifespan="off",
                            ws="websockets-sansio", log_level="warning", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="livetest-web", daemon=True)
    thread.start()
    try:
        _wait_until(lambda: server.started or not thread.is_alive(), START_TIMEOUT)
        if not server.started:
            raise RuntimeError(f"the web server did not start on {host}:{port}")
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT)
        close_live_connections()


def _wait_until(done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)


def close_live_connections() -> None:
    """Close the database connections the desk's and the wallboard's reader threads keep (a test database
    cannot be dropped on PostgreSQL while they do)."""
    from hotline.floor.live import close_connections

    close_connections()


@contextmanager
def engine_running() -> Iterator[EmbeddedEngine]:
    """The telephony engine of this process on an ephemeral SIP port (`engine.engine.sip_address`),
    configured from the database; stopped on exit (calls hung up, call log flushed)."""
    embedded = EmbeddedEngine(sip_port=0)
    try:
        embedded.start()
        yield embedded
    finally:
        embedded.stop()


class SipLab:
    """Simulated phones on their own event loop thread; use as a context manager.

    `register_agent` registers a seat's phone (answering after `ring` seconds); `dial` places a call from
    a number to the hotline and returns at once with a handle; `hang_up` ends it from the caller's side.
    """

    def __init__(self, engine_address: tuple[str, int]) -> None:
        self.engine_address = engine_address
        self.loop = asyncio.new_event_loop()
        self.phones: list[AgentPhone] = []
        self.callers: list[Caller] = []
        self._calls: list[Future[CallResult]] = []
        self._thread = threading.Thread(target=self.loop.run_forever, name="livetest-sip", daemon=True)

    def __enter__(self) -> SipLab:
        self._thread.start()
        try:
            self.endpoint = self.run(SipEndpoint().start())
        except BaseException:
            self._stop_loop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        """Calls still up are hung up, phones unregister (best effort: the engine may be gone), sockets close."""
        try:
            for caller, call in zip(self.callers, self._calls, strict=True):
                if not call.done():
                    self.loop.call_soon_threadsafe(caller.abort, "the test ended")
            for call in self._calls:
                call.result(STOP_TIMEOUT)
            for phone in self.phones:
                with suppress(Exception):
                    self.run(phone.unregister(), UNREGISTER_TIMEOUT)
            self.run(self.endpoint.close(), STOP_TIMEOUT)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(STOP_TIMEOUT)
        if not self._thread.is_alive():
            self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = START_TIMEOUT) -> T:
        """Run a coroutine on the SIP thread and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def register_agent(self, username: str, password: str, ring: float = 1.0, talk: float = 600.0) -> AgentPhone:
        """A seat's phone, registered with digest auth, that answers after `ring` seconds and talks until
        the caller hangs up (or `talk` seconds)."""
        phone = self.run(self._new_phone(username, password, ring, talk))
        status = self.run(phone.register(self.engine_address))
        if status != 200:
            raise RuntimeError(f"the phone of {username} could not register: {status}")
        self.phones.append(phone)
        return phone

    async def _new_phone(self, username: str, password: str, ring: float, talk: float) -> AgentPhone:
        return AgentPhone(self.endpoint, username, password, ring=(ring, ring), talk=(talk, talk))

    def dial(self, number: str, dnis: str, patience: float = 600.0) -> Caller:
        """Call `dnis` from `number` (RTP flowing); the call goes on until `hang_up` or the agent ends it."""
        plan = CallerPlan(number=number, key="1", menu_delay=patience, patience=patience, talk=patience,
                          listen=0.0)
        caller = Caller(self.endpoint, plan)
        self.callers.append(caller)
        host, port = self.engine_address
        self._calls.append(asyncio.run_coroutine_threadsafe(caller.run(f"sip:{dnis}@{host}:{port}"), self.loop))
        return caller

    def call_id(self, caller: Caller, timeout: float = START_TIMEOUT) -> str:
        """The SIP Call-ID of the caller's call, once the INVITE has left."""
        _wait_until(lambda: bool(caller.result.call_id), timeout)
        return caller.result.call_id

    def hang_up(self, caller: Caller) -> CallResult:
        """The caller hangs up; returns how the call went, from the caller's side."""
        index = self.callers.index(caller)

        def leave() -> None:
            if caller.call is not None:
                caller.leaving = True
                caller.call.hangup()

        self.loop.call_soon_threadsafe(leave)
        return self._calls[index].result(STOP_TIMEOUT)


@contextmanager
def chromium(executable: str = CHROMIUM) -> Iterator[Any]:
    """A headless Chromium `Browser` (Playwright's sync API), closed on exit; the ORM must not be used
    inside (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Sign a Playwright page in through the login form and wait for the page it lands on."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    if "/login/" in page.url:
        raise RuntimeError(f"{username} could not sign in")
