"""Signing simulated agents in at their seats, through the web app's REST API, as an agent at the desk would.

The demo starts every agent signed out, so the phones `hotline simulate airing` registers would ring for
nobody. The engine runs inside the web process of `hotline demo` (or beside `hotline serve`, reached
through Redis), so a separate process reaches it the way the desk does: `POST /api/engine/agent/login`
with the seat's name, then `…/agent/state` ready; at the end not ready and `…/agent/logout`. Each agent
acts with a bearer token of their own, which the command issues before the run and deletes after it.

Only agents the command found signed out are signed in, and only they are signed out again: anyone a
person signed in at the desk is left as they were. Plain blocking HTTP (urllib) on a worker thread: a
few requests per agent, never on the event loop that carries the calls' audio.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.simulate.airing import SimulationError

SIGN_OUT_PATIENCE = 30.0  # seconds to wait for an agent to finish ringing or wrap-up before giving up


class DeskError(SimulationError):
    """The web app could not be reached, or refused a sign-in for a reason the run cannot get past."""


@dataclass(frozen=True)
class Sitting:
    """Who signs in where: the agent whose usual seat has the phone of SIP user `sip_user`."""

    sip_user: str
    seat: str
    agent: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, object]

    @property
    def code(self) -> str:
        return str(self.body.get("code", ""))

    @property
    def detail(self) -> str:
        return str(self.body.get("detail", self.body))


class DeskSignIn:
    """`AgentDesk` over the REST API of the web app at `web` (e.g. http://127.0.0.1:8000)."""

    def __init__(self, web: str, sittings: dict[str, Sitting], say: Callable[[str], object] = print,
                 timeout: float = 10.0) -> None:
        self.web = web.rstrip("/")
        self.sittings = sittings
        self.say = say
        self.timeout = timeout
        self.signed_in: list[Sitting] = []

    async def sign_in(self, usernames: list[str]) -> None:
        """Sign in, ready, the agent of each registered phone that has a sitting."""
        for username in usernames:
            sitting = self.sittings.get(username)
            if sitting is not None:
                await asyncio.to_thread(self._sign_in, sitting)
        if self.signed_in:
            self.say(f"Signed in at their seats, ready, through {self.web}/api/engine/: "
                     + ", ".join(f"{s.agent} at {s.seat} ({s.sip_user})" for s in self.signed_in))

    def _sign_in(self, sitting: Sitting) -> None:
        answer = self._post(sitting, "/agent/login", {"seat": sitting.seat})
        if answer.status == 409 and answer.code in ("already_logged_in", "seat_taken"):
            self.say(f"{sitting.agent} not signed in at {sitting.seat}: {answer.detail}")
            return
        self._require(answer, sitting, "sign in")
        self.signed_in.append(sitting)
        self._require(self._post(sitting, "/agent/state", {"state": "ready"}), sitting, "set ready")

    async def sign_out(self) -> None:
        """Not ready, then signed out, each agent this run signed in (waiting out a last ring or wrap-up)."""
        for sitting in tuple(self.signed_in):
            await asyncio.to_thread(self._sign_out, sitting)
        if self.signed_in:
            self.say("Could not sign out: " + ", ".join(s.agent for s in self.signed_in))

    def _sign_out(self, sitting: Sitting) -> None:
        deadline = time.monotonic() + SIGN_OUT_PATIENCE
        for path, body in (("/agent/state", {"state": "not_ready", "reason": "break"}), ("/agent/logout", {})):
            try:
                answer = self._post(sitting, path, body)
                while answer.status == 409 and answer.code == "not_allowed_now" and time.monotonic() < deadline:
                    time.sleep(0.5)  # still ringing or talking: a moment later it is between calls
                    answer = self._post(sitting, path, body)
            except DeskError as error:
                self.say(str(error))
                return
            if answer.status != 200 and answer.code != "not_logged_in":
                self.say(f"{sitting.agent} at {sitting.seat}: {answer.detail}")
                return
        self.signed_in.remove(sitting)

    def _require(self, answer: Answer, sitting: Sitting, what: str) -> None:
        if answer.status != 200:
            raise DeskError(f"could not {what} {sitting.agent} at {sitting.seat} through {self.web}: "
                            f"{answer.status} {answer.detail}")

    def _post(self, sitting: Sitting, path: str, body: dict[str, str]) -> Answer:
        request = urllib.request.Request(
            f"{self.web}/api/engine{path}", data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {sitting.token}", "Content-Type": "application/json",
                     "Accept-Language": "en"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Answer(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, _json(error.read()))
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeskError(f"no answer from the web app at {self.web} ({reason}): is `hotline demo` running "
                            "there? (--web names another address; --no-sign-in leaves the agents as they are)"
                            ) from error


def _json(data: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(data or b"{}")
    except ValueError:
        return {"detail": data.decode(errors="replace")[:200]}
    return parsed if isinstance(parsed, dict) else {"detail": parsed}
