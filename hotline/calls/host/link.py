"""How the web side's commands reach the engine: in-process (`hotline demo`) or through Redis.

A command is a typed dataclass of `hotline.telephony.commands`. With a separate `hotline engine` process,
it is pushed as JSON on a Redis list that the engine pops (`serve_commands`); the engine pushes the outcome
on a reply list that the web request waits on for a few seconds. A command older than that is dropped by
the engine unrun, because its sender has already told the user it failed.

Configuration changes travel the same way: after a seat, queue or IVR write commits, the engine is told to
re-read what it takes without a restart (`reload`, a host-level message that is not an engine command).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from hotline.calls.host import embedded
from hotline.calls.host.config import config_updates, reconfigure
from hotline.calls.models import Queue, QueueMember
from hotline.calls.seats import SEAT_CHANGED
from hotline.lib import bus
from hotline.telephony.commands import EngineCommand, run_json
from hotline.telephony.control import ControlError, EngineControl

log = logging.getLogger(__name__)

COMMAND_LIST = "hotline:engine:commands"
REPLY_PREFIX = "hotline:engine:reply:"
REPLY_TIMEOUT = 5  # seconds a web request waits for the engine
RELOAD = "reload"  # host-level message: re-read flows, prompts, queues and seats (not an engine command)


class EngineUnavailable(Exception):
    """No engine answered: none runs in this process and none is reachable through Redis."""


def send_command(command: EngineCommand, *, timeout: float = REPLY_TIMEOUT) -> str | None:
    """Run a command on the engine and return its result (click-to-dial: the call id); `ControlError` if it
    refused, `EngineUnavailable` if no engine answered within `timeout` seconds (through Redis)."""
    local = embedded.current()
    if local is not None:
        try:
            return local.run(command)
        except TimeoutError as exc:
            raise EngineUnavailable("the engine did not answer") from exc
    if not settings.REDIS_URL:
        raise EngineUnavailable("no engine runs in this process and REDIS_URL is not set")
    return send_through_redis(command, timeout)


def _message(body: dict[str, object]) -> str:
    return json.dumps({"id": uuid.uuid4().hex, "sent": time.time(), **body})


def send_through_redis(command: EngineCommand, timeout: float) -> str | None:
    """Run a command on a separate engine through the command list, waiting at most `timeout` seconds."""
    import redis

    message = _message(command.to_json())
    command_id = json.loads(message)["id"]
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout + 1,
                                      socket_connect_timeout=timeout)
        client.rpush(COMMAND_LIST, message)
        reply = client.blpop([REPLY_PREFIX + command_id], timeout=timeout)
    except redis.RedisError as exc:
        raise EngineUnavailable(f"Redis: {exc}") from exc
    if reply is None:
        raise EngineUnavailable("the engine did not answer")
    outcome = json.loads(reply[1])
    if not outcome["ok"]:
        raise ControlError(outcome["code"], outcome["message"])
    result: str | None = outcome.get("result")
    return result


# -- configuration changes ---------------------------------------------------------------------------------


def watch_configuration() -> None:
    """After a seat, queue (or queue membership) or IVR write commits, tell the engine to re-read what it
    can take without a restart."""
    from hotline.ivrdata.actions import IVR_CHANGED

    for topic in (SEAT_CHANGED, IVR_CHANGED):
        bus.subscribe(topic, _configuration_changed)
    # Queues are edited in the back office through the generic audited save, which publishes no event.
    for model in (Queue, QueueMember):
        for signal in (post_save, post_delete):
            signal.connect(_queue_written, sender=model, dispatch_uid=f"engine-reload-{model.__name__}-{signal}")


def _queue_written(sender: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: _configuration_changed("calls.queue_changed", {}))


def _configuration_changed(topic: str, payload: dict[str, Any]) -> None:
    local = embedded.current()
    if local is not None:
        local.reload()
    elif settings.REDIS_URL:
        _push_without_reply({"name": RELOAD, "args": {}})


def _push_without_reply(body: dict[str, object]) -> None:
    """Queue a message nobody waits for; an engine that is down reloads at its next start anyway."""
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).rpush(COMMAND_LIST, _message(body))
    except redis.RedisError as exc:
        log.warning("could not ask the engine to reload: %s", exc)


# -- the engine's side -------------------------------------------------------------------------------------


async def serve_commands(control: EngineControl, url: str, stop: asyncio.Event) -> None:
    """In the engine process: pop commands from Redis, run them, push each outcome, until `stop` is set."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        while not stop.is_set():
            try:
                item = await client.blpop([COMMAND_LIST], timeout=1)
            except aioredis.RedisError as exc:
                log.warning("engine commands: Redis unavailable (%s); retrying", exc)
                await asyncio.sleep(1)
                continue
            if item is not None:
                await _serve_one(control, client, item[1])
    finally:
        await client.aclose()


async def _reload(control: EngineControl) -> None:
    engine = control.engine
    updates = await sync_to_async(config_updates, thread_sensitive=True)()
    reconfigure(engine, updates)


async def _serve_one(control: EngineControl, client: Any, raw: bytes | str) -> None:
    try:
        message = json.loads(raw)
        command_id, name, sent = message["id"], message["name"], float(message["sent"])
    except (ValueError, KeyError, TypeError):
        log.warning("engine commands: dropped a malformed command %r", raw[:200])
        return
    if time.time() - sent > REPLY_TIMEOUT:
        log.warning("engine commands: dropped %s, sent %.1f s ago", name, time.time() - sent)
        return
    if name == RELOAD:
        try:
            await _reload(control)
        except Exception:  # the engine keeps its configuration and its commands
            log.exception("engine commands: reloading the configuration failed")
        return
    try:
        result = await run_json(control, message)
        outcome: dict[str, Any] = {"ok": True, "result": result}
    except ControlError as exc:
        outcome = {"ok": False, "code": exc.code, "message": str(exc)}
    except Exception as exc:  # one broken command must not stop the engine taking the next ones
        log.exception("engine command %s failed", name)
        outcome = {"ok": False, "code": "internal", "message": f"{type(exc).__name__}: {exc}"}
    key = REPLY_PREFIX + str(command_id)
    await client.rpush(key, json.dumps(outcome))
    await client.expire(key, REPLY_TIMEOUT * 2)
