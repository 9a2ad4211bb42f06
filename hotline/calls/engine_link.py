"""How the web side's commands reach the engine: in-process (`hotline demo`) or through Redis.

With a separate `hotline engine` process, a command is pushed on a Redis list that the engine pops
(`serve_commands`); the engine pushes the outcome on a reply list that the web request waits on for a few
seconds. A command older than that is dropped by the engine unrun, because its sender has already told
the user it failed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from django.conf import settings

from hotline.calls import embedded
from hotline.lib import bus
from hotline.telephony.control import ControlError, EngineControl, run_command

log = logging.getLogger(__name__)

COMMAND_LIST = "hotline:engine:commands"
REPLY_PREFIX = "hotline:engine:reply:"
REPLY_TIMEOUT = 5  # seconds a web request waits for the engine


class EngineUnavailable(Exception):
    """No engine answered: none runs in this process and none is reachable through Redis."""


def send_command(name: str, **args: Any) -> str | None:
    """Run a `SipControl` command on the engine and return its result (click-to-dial: the call id);
    `ControlError` if it refused, `EngineUnavailable` if no engine answered."""
    local = embedded.current()
    if local is not None:
        try:
            return local.run(name, args)
        except TimeoutError as exc:
            raise EngineUnavailable("the engine did not answer") from exc
    if not settings.REDIS_URL:
        raise EngineUnavailable("no engine runs in this process and REDIS_URL is not set")
    return _send_through_redis(name, args)


def _send_through_redis(name: str, args: dict[str, Any]) -> str | None:
    import redis

    command_id = uuid.uuid4().hex
    message = json.dumps({"id": command_id, "name": name, "args": args, "sent": time.time()})
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=REPLY_TIMEOUT + 1)
        client.rpush(COMMAND_LIST, message)
        reply = client.blpop([REPLY_PREFIX + command_id], timeout=REPLY_TIMEOUT)
    except redis.RedisError as exc:
        raise EngineUnavailable(f"Redis: {exc}") from exc
    if reply is None:
        raise EngineUnavailable("the engine did not answer")
    outcome = json.loads(reply[1])
    if not outcome["ok"]:
        raise ControlError(outcome["code"], outcome["message"])
    result: str | None = outcome.get("result")
    return result


RELOAD = "reload"  # host-level command: re-read flows, prompts and seats (not a `SipControl` command)


def watch_configuration() -> None:
    """After a seat or IVR write commits, tell the engine to re-read what it can take without a restart."""
    from hotline.calls.seats import SEAT_CHANGED
    from hotline.ivrdata.actions import IVR_CHANGED

    for topic in (SEAT_CHANGED, IVR_CHANGED):
        bus.subscribe(topic, _configuration_changed)


def _configuration_changed(topic: str, payload: dict[str, Any]) -> None:
    local = embedded.current()
    if local is not None:
        local.reload()
    elif settings.REDIS_URL:
        _push_without_reply(RELOAD)


def _push_without_reply(name: str) -> None:
    """Queue a command nobody waits for; an engine that is down reloads at its next start anyway."""
    import redis

    message = json.dumps({"id": uuid.uuid4().hex, "name": name, "args": {}, "sent": time.time()})
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).rpush(COMMAND_LIST, message)
    except redis.RedisError as exc:
        log.warning("could not ask the engine to reload: %s", exc)


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
    from asgiref.sync import sync_to_async

    from hotline.calls.management.commands.engine import config_updates

    engine = control.engine
    updates = await sync_to_async(config_updates, thread_sensitive=True)(engine.config.queues)
    engine.reconfigure(**updates)


async def _serve_one(control: EngineControl, client: Any, raw: bytes | str) -> None:
    try:
        command = json.loads(raw)
        command_id, name, args, sent = command["id"], command["name"], command["args"], float(command["sent"])
    except (ValueError, KeyError, TypeError):
        log.warning("engine commands: dropped a malformed command %r", raw[:200])
        return
    if time.time() - sent > REPLY_TIMEOUT:
        log.warning("engine commands: dropped %s, sent %.1f s ago", name, time.time() - sent)
        return
    try:
        if name == RELOAD:
            await _reload(control)
            return
        result = await run_command(control, name, args if isinstance(args, dict) else {})
        outcome: dict[str, Any] = {"ok": True, "result": result}
    except ControlError as exc:
        outcome = {"ok": False, "code": exc.code, "message": str(exc)}
    except Exception as exc:  # one broken command must not stop the engine taking the next ones
        log.exception("engine command %s failed", name)
        outcome = {"ok": False, "code": "internal", "message": f"{type(exc).__name__}: {exc}"}
    key = REPLY_PREFIX + str(command_id)
    await client.rpush(key, json.dumps(outcome))
    await client.expire(key, REPLY_TIMEOUT * 2)
