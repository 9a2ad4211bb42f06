"""Commands to a running engine, defined once: one frozen dataclass per command.

The web side builds a command (`Login(agent="li", seat="A-01")`) and hands it to the engine host, which
runs it in-process or sends it through Redis as JSON (`to_json`, `from_json`: the name and the fields).
On the engine's loop `run(control, command)` carries it out through `EngineControl`, whose refusals are
`ControlError`s with stable codes. A command is checked when it is built, from Python or from JSON: an
unknown name, a missing, extra or ill-typed field is a `ControlError("bad_request", …)` before anything
happens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar, get_type_hints

from hotline.telephony.control import ControlError, EngineControl


@dataclasses.dataclass(frozen=True)
class EngineCommand:
    """Base of every command: `NAME` is what travels on the wire; the fields are the arguments, each a
    str, bool or int (checked on construction)."""

    NAME: ClassVar[str] = ""

    def __post_init__(self) -> None:
        hints = _field_types(type(self))
        for name, expected in hints.items():
            value = getattr(self, name)
            if type(value) is not expected:  # exact: True is not a number of seconds
                raise ControlError("bad_request", f"{self.NAME}: {name} is {expected.__name__}, not {value!r}")

    async def run_on(self, control: EngineControl) -> str | None:
        """Carry the command out on the engine's loop; returns what the command answers, if anything."""
        raise NotImplementedError

    def to_json(self) -> dict[str, object]:
        """`{"name": …, "args": {field: value}}`, what `from_json` reads back."""
        return {"name": self.NAME, "args": {field.name: getattr(self, field.name)
                                            for field in dataclasses.fields(self)}}


_TYPES: dict[type[EngineCommand], dict[str, type]] = {}


def _field_types(cls: type[EngineCommand]) -> dict[str, type]:
    """The fields of a command class with their (resolved) types, looked up once per class."""
    found = _TYPES.get(cls)
    if found is None:
        hints = get_type_hints(cls)
        found = _TYPES[cls] = {field.name: hints[field.name] for field in dataclasses.fields(cls)}
    return found


# -- agents ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Login(EngineCommand):
    """Log `agent` in at `seat` (not ready unless `ready`), for `skills` ("queue:level,…") or the seat's queues."""

    NAME = "login"
    agent: str
    seat: str
    ready: bool = False
    skills: str = ""

    async def run_on(self, control: EngineControl) -> None:
        await control.login(self.agent, self.seat, ready=self.ready, skills=self.skills)


@dataclasses.dataclass(frozen=True)
class Logout(EngineCommand):
    """The agent leaves the engine (not while a call rings, is talked on, or is being set up for them)."""

    NAME = "logout"
    agent: str

    async def run_on(self, control: EngineControl) -> None:
        await control.logout(self.agent)


@dataclasses.dataclass(frozen=True)
class Ready(EngineCommand):
    """Ready for calls, from not ready or ending wrap-up early."""

    NAME = "ready"
    agent: str

    async def run_on(self, control: EngineControl) -> None:
        await control.ready(self.agent)


@dataclasses.dataclass(frozen=True)
class NotReady(EngineCommand):
    """Paused with a reason code (break, lunch, training, …; empty: break)."""

    NAME = "not_ready"
    agent: str
    reason: str = ""

    async def run_on(self, control: EngineControl) -> None:
        await control.not_ready(self.agent, self.reason)


@dataclasses.dataclass(frozen=True)
class ExtendWrapUp(EngineCommand):
    """The agent's wrap-up ends `seconds` later (1 to 300; three extensions and 300 s in all)."""

    NAME = "extend_wrap_up"
    agent: str
    seconds: int

    async def run_on(self, control: EngineControl) -> None:
        await control.extend_wrap_up(self.agent, self.seconds)


@dataclasses.dataclass(frozen=True)
class ClickToDial(EngineCommand):
    """Ring the agent's phone, then `number` through the outbound gateway; answers the new call's id."""

    NAME = "click_to_dial"
    agent: str
    number: str

    async def run_on(self, control: EngineControl) -> str:
        return await control.click_to_dial(self.agent, self.number)


# -- calls -------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HangUp(EngineCommand):
    """End the call on every leg."""

    NAME = "hang_up"
    call_id: str

    async def run_on(self, control: EngineControl) -> None:
        await control.hang_up(self.call_id)


@dataclasses.dataclass(frozen=True)
class Hold(EngineCommand):
    """The caller hears hold music; the agent hears silence."""

    NAME = "hold"
    call_id: str

    async def run_on(self, control: EngineControl) -> None:
        await control.hold(self.call_id)


@dataclasses.dataclass(frozen=True)
class Resume(EngineCommand):
    """Take the caller off hold."""

    NAME = "resume"
    call_id: str

    async def run_on(self, control: EngineControl) -> None:
        await control.resume(self.call_id)


@dataclasses.dataclass(frozen=True)
class Transfer(EngineCommand):
    """Blind transfer to a queue or to an agent (exactly one of them)."""

    NAME = "transfer"
    call_id: str
    queue: str = ""
    agent: str = ""

    async def run_on(self, control: EngineControl) -> None:
        await control.transfer(self.call_id, queue=self.queue, agent=self.agent)


@dataclasses.dataclass(frozen=True)
class Consult(EngineCommand):
    """Attended transfer: the caller waits on hold while `agent`'s phone rings."""

    NAME = "consult"
    call_id: str
    agent: str

    async def run_on(self, control: EngineControl) -> None:
        await control.consult(self.call_id, self.agent)


@dataclasses.dataclass(frozen=True)
class CompleteTransfer(EngineCommand):
    """The consulted agent takes the caller."""

    NAME = "complete_transfer"
    call_id: str

    async def run_on(self, control: EngineControl) -> None:
        await control.complete_transfer(self.call_id)


@dataclasses.dataclass(frozen=True)
class CancelConsultation(EngineCommand):
    """The consultation ends; the caller is back with the first agent."""

    NAME = "cancel_consultation"
    call_id: str

    async def run_on(self, control: EngineControl) -> None:
        await control.cancel_consultation(self.call_id)


# -- supervisors -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Monitor(EngineCommand):
    """Join the supervisor's phone (their seat's, or `seat`'s) to a connected call: listen, whisper or barge."""

    NAME = "monitor"
    call_id: str
    supervisor: str
    mode: str = "listen"
    seat: str = ""

    async def run_on(self, control: EngineControl) -> None:
        await control.monitor(self.call_id, self.supervisor, self.mode, self.seat)


@dataclasses.dataclass(frozen=True)
class StopMonitor(EngineCommand):
    """The supervisor leaves the call they supervise."""

    NAME = "stop_monitor"
    supervisor: str

    async def run_on(self, control: EngineControl) -> None:
        await control.stop_monitor(self.supervisor)


@dataclasses.dataclass(frozen=True)
class PickUp(EngineCommand):
    """代接: `agent` takes a call still ringing or waiting in line; their phone rings next."""

    NAME = "pick_up"
    call_id: str
    agent: str

    async def run_on(self, control: EngineControl) -> None:
        await control.pick_up(self.call_id, self.agent)


# -- the engine --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Health(EngineCommand):
    """The engine's figures for `/healthz`, as JSON text."""

    NAME = "health"

    async def run_on(self, control: EngineControl) -> str:
        return await control.health()


COMMANDS: dict[str, type[EngineCommand]] = {cls.NAME: cls for cls in (
    Login, Logout, Ready, NotReady, ExtendWrapUp, ClickToDial, HangUp, Hold, Resume, Transfer, Consult,
    CompleteTransfer, CancelConsultation, Monitor, StopMonitor, PickUp, Health,
)}


# The commands about one call, which its agent (or a supervisor) may send.
CallCommand = HangUp | Hold | Resume | Transfer | Consult | CompleteTransfer | CancelConsultation


def from_json(data: Mapping[str, object]) -> EngineCommand:
    """The command `to_json` wrote: `{"name": …, "args": {…}}`; anything else is a `bad_request`."""
    name, args = data.get("name"), data.get("args", {})
    cls = COMMANDS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ControlError("bad_request", f"unknown command {name!r}")
    if not isinstance(args, Mapping):
        raise ControlError("bad_request", f"{name}: the arguments are an object, not {args!r}")
    fields = dataclasses.fields(cls)
    allowed = {field.name for field in fields}
    required = {field.name for field in fields if field.default is dataclasses.MISSING}
    if not required <= args.keys() <= allowed:
        raise ControlError("bad_request", f"{name} takes {sorted(allowed)}, needs {sorted(required)}")
    return cls(**args)


async def run(control: EngineControl, command: EngineCommand) -> str | None:
    """Run one command on the engine's loop; returns what it answers (click-to-dial: the new call's id)."""
    return await command.run_on(control)


async def run_json(control: EngineControl, data: Mapping[str, object]) -> str | None:
    """Check a command as `to_json` writes it, then run it (what the engine does with one from Redis)."""
    return await run(control, from_json(data))
