"""How long a flow keeps a caller who presses nothing, computed from the flow and its prompts' lengths.

`silent_path` is pure: it walks the flow the way the interpreter would for a caller who never presses
a key, adding the prompts' seconds and the menus' and collects' timeouts, and says where the caller
ends up. It is what the tests assert for the demo flow's "under 8 s to an agent" goal, since tests may
not measure wall-clock time; `hotline bench ivr` measures the real thing. `prompt_seconds` reads the
lengths from WAV headers (the only I/O here).

Not counted: answering, the host's look-ups (order status, member check: taken as instant) and the
queue node's prompts, which play while agents' phones already ring.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hotline.telephony.ivr.model import Collect, Flow, Hangup, Menu, Node, OrderStatus, Play, Queue, VerifyMember


@dataclass(frozen=True, slots=True)
class SilentPath:
    """Where a caller who presses nothing ends (`queue`, or "" when the flow hangs up) and after how many
    seconds from the start of the flow (the worst case where a host look-up branches; `math.inf` when
    silence loops forever), through which nodes."""

    seconds: float
    queue: str
    nodes: tuple[str, ...]


def prompt_seconds(folder: Path, names: Iterable[str]) -> dict[str, float]:
    """The length in seconds of each prompt `folder/<name>.wav`."""
    lengths = {}
    for name in names:
        with wave.open(str(folder / f"{name}.wav")) as prompt:
            lengths[name] = prompt.getnframes() / prompt.getframerate()
    return lengths


def silent_path(flow: Flow, seconds: Mapping[str, float]) -> SilentPath:
    """The path of a caller who never presses a key, from `flow.start`; `seconds` maps prompt ids to lengths."""
    return _walk(flow, flow.start, seconds, ())


def _walk(flow: Flow, name: str, seconds: Mapping[str, float], seen: tuple[str, ...]) -> SilentPath:
    if name in seen:
        return SilentPath(math.inf, "", (*seen, name))
    node, path = flow.node(name), (*seen, name)
    if isinstance(node, Queue):
        return SilentPath(0.0, node.queue, path)
    if isinstance(node, Hangup):
        return SilentPath(_length(node.prompts, seconds), "", path)
    branches = [(spent, _walk(flow, target, seconds, path)) for spent, target in _steps(node, seconds)]
    spent, worst = max(branches, key=lambda branch: branch[0] + branch[1].seconds)
    return SilentPath(spent + worst.seconds, worst.queue, worst.nodes)


def _steps(node: Node, seconds: Mapping[str, float]) -> list[tuple[float, str]]:
    """(seconds spent in `node`, next node) for each way silence can leave it."""
    if isinstance(node, Play):
        return [(_length(node.prompts, seconds), node.next)]
    if isinstance(node, Menu):  # the last silent pass leaves at once
        return [(_passes(node, node.no_input_passes, seconds), node.fallback)]
    if isinstance(node, Collect):  # every silence is a try, and each one, the last too, says "no input"
        complaint = _length((node.no_input_prompt,) if node.no_input_prompt else (), seconds)
        return [(_passes(node, node.retries + 1, seconds) + complaint, node.fallback)]
    if isinstance(node, VerifyMember):
        failure = _length((node.failure_prompt,) if node.failure_prompt else (), seconds)
        return [(0.0, node.success), (failure, node.retry), (failure, node.failure)]
    if isinstance(node, OrderStatus):
        intro = _length(node.intro_prompts, seconds)
        longest_phrase = max((seconds[p] for p in node.phrases.values()), default=0.0)
        missing = _length((node.not_found_prompt,) if node.not_found_prompt else (), seconds)
        return [(intro + longest_phrase, node.found), (missing, node.not_found)]
    raise ValueError(f"unknown node type {type(node).__name__}")


def _passes(node: Menu | Collect, passes: int, seconds: Mapping[str, float]) -> float:
    """`passes` times the prompts and the timeout, with the no-input prompt before every pass but the first."""
    one = _length(node.prompts, seconds) + node.timeout
    again = _length((node.no_input_prompt,) if node.no_input_prompt else (), seconds)
    return passes * one + (passes - 1) * again


def _length(prompts: tuple[str, ...], seconds: Mapping[str, float]) -> float:
    return sum(seconds[p] for p in prompts)
