"""Engine commands as typed dataclasses: the wire format both ways, the checks on the way in, and which
`EngineControl` method each one runs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from hotline.telephony.commands import (
    COMMANDS,
    CancelConsultation,
    ClickToDial,
    CompleteTransfer,
    Consult,
    EngineCommand,
    ExtendWrapUp,
    HangUp,
    Health,
    Hold,
    Login,
    Logout,
    Monitor,
    NotReady,
    PickUp,
    Ready,
    Resume,
    StopMonitor,
    Transfer,
    from_json,
    run,
    run_json,
)
from hotline.telephony.control import ControlError

EVERY = [
    Login("li", "A-01", ready=True, skills="orders:2"), Logout("li"), Ready("li"), NotReady("li", "lunch"),
    ExtendWrapUp("li", 30), ClickToDial("li", "13900139000"), HangUp("c1"), Hold("c1"), Resume("c1"),
    Transfer("c1", queue="orders"), Consult("c1", "wang"), CompleteTransfer("c1"), CancelConsultation("c1"),
    Monitor("c1", "boss", "whisper", "S-01"), StopMonitor("boss"), PickUp("c1", "boss"), Health(),
]


def test_every_command_has_one_name_and_survives_json_both_ways() -> None:
    assert sorted(COMMANDS) == [
        "cancel_consultation", "click_to_dial", "complete_transfer", "consult", "extend_wrap_up", "hang_up",
        "health", "hold", "login", "logout", "monitor", "not_ready", "pick_up", "ready", "resume",
        "stop_monitor", "transfer"]
    assert sorted(type(command).NAME for command in EVERY) == sorted(COMMANDS)
    for command in EVERY:
        assert from_json(json.loads(json.dumps(command.to_json()))) == command
    assert Transfer("c1", agent="wang").to_json() == {
        "name": "transfer", "args": {"call_id": "c1", "queue": "", "agent": "wang"}}


def test_defaults_fill_the_optional_fields() -> None:
    assert from_json({"name": "login", "args": {"agent": "li", "seat": "A-01"}}) == Login("li", "A-01", False, "")
    assert from_json({"name": "monitor", "args": {"call_id": "c1", "supervisor": "boss"}}) == Monitor(
        "c1", "boss", "listen", "")
    assert from_json({"name": "health"}) == Health()


@pytest.mark.parametrize("data", [
    {"name": "teleport", "args": {}},
    {"args": {"agent": "li"}},
    {"name": 7, "args": {}},
    {"name": "ready", "args": ["li"]},
    {"name": "ready", "args": {}},
    {"name": "ready", "args": {"agent": "li", "seat": "A-01"}},
    {"name": "login", "args": {"agent": "li", "seat": "A-01", "ready": "yes"}},
    {"name": "extend_wrap_up", "args": {"agent": "li", "seconds": "30"}},
    {"name": "extend_wrap_up", "args": {"agent": "li", "seconds": True}},
    {"name": "extend_wrap_up", "args": {"agent": "li", "seconds": 30.5}},
    {"name": "hold", "args": {"call_id": None}},
])
def test_a_malformed_command_is_a_bad_request(data: dict[str, Any]) -> None:
    with pytest.raises(ControlError) as error:
        from_json(data)
    assert error.value.code == "bad_request"


def test_a_command_built_in_python_is_checked_too() -> None:
    with pytest.raises(ControlError) as error:
        Hold(42)  # type: ignore[arg-type]
    assert (error.value.code, str(error.value)) == ("bad_request", "hold: call_id is str, not 42")


class Recorder:
    """Stands in for `EngineControl`: records which method a command calls, with which arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        async def method(*args: Any, **kwargs: Any) -> str:
            self.calls.append((name, args, kwargs))
            return f"{name} done"
        return method


def test_run_calls_the_engine_control_method_of_each_command() -> None:
    control = Recorder()

    async def run_all() -> list[str | None]:
        return [await run(control, command) for command in EVERY]  # type: ignore[arg-type]

    results = asyncio.run(run_all())
    assert control.calls == [
        ("login", ("li", "A-01"), {"ready": True, "skills": "orders:2"}), ("logout", ("li",), {}),
        ("ready", ("li",), {}), ("not_ready", ("li", "lunch"), {}), ("extend_wrap_up", ("li", 30), {}),
        ("click_to_dial", ("li", "13900139000"), {}), ("hang_up", ("c1",), {}), ("hold", ("c1",), {}),
        ("resume", ("c1",), {}), ("transfer", ("c1",), {"queue": "orders", "agent": ""}),
        ("consult", ("c1", "wang"), {}), ("complete_transfer", ("c1",), {}), ("cancel_consultation", ("c1",), {}),
        ("monitor", ("c1", "boss", "whisper", "S-01"), {}), ("stop_monitor", ("boss",), {}),
        ("pick_up", ("c1", "boss"), {}), ("health", (), {}),
    ]
    # only click-to-dial and health answer something; the others are done or refused
    assert [result for result in results if result is not None] == ["click_to_dial done", "health done"]


def test_run_json_checks_first_and_runs_nothing_it_refuses() -> None:
    control = Recorder()

    async def attempt(data: dict[str, Any]) -> str | None:
        return await run_json(control, data)  # type: ignore[arg-type]

    with pytest.raises(ControlError) as error:
        asyncio.run(attempt({"name": "extend_wrap_up", "args": {"agent": "li", "seconds": "30"}}))
    assert (error.value.code, control.calls) == ("bad_request", [])
    assert asyncio.run(attempt({"name": "click_to_dial", "args": {"agent": "li", "number": "139"}})) == (
        "click_to_dial done")
    assert control.calls == [("click_to_dial", ("li", "139"), {})]


def test_the_base_class_is_not_a_command() -> None:
    assert EngineCommand.NAME not in COMMANDS
