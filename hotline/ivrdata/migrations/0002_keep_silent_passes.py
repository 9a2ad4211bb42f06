"""Stored flows keep how often their menus replay to a silent caller.

Before `no_input_passes` a silence used one of a menu's `retries` (default 2), so a silent caller heard
the menu 1 + retries times. New flows default to one silent pass; a stored menu without the key is given
`no_input_passes: retries + 1`, written as a line after its `type: menu` so the YAML keeps its comments
and layout. A definition whose result would not parse to exactly that (flow-style YAML, say) is left as
it is, and so takes the new default.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.db import migrations

TYPE_MENU = re.compile(r"^(?P<indent>[ \t]+)type:[ \t]*[\"']?menu[\"']?[ \t]*(#.*)?$")
NODE_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z0-9_]+):[ \t]*(#.*)?$")
DEFAULT_RETRIES = 2


def _passes_wanted(data: Any) -> dict[str, int]:
    """Menu node name -> the silent passes it had, for menus without `no_input_passes`."""
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, dict):
        return {}
    wanted = {}
    for name, fields in nodes.items():
        if isinstance(fields, dict) and fields.get("type") == "menu" and "no_input_passes" not in fields:
            retries = fields.get("retries", DEFAULT_RETRIES)
            if isinstance(retries, int) and not isinstance(retries, bool):
                wanted[str(name)] = retries + 1
    return wanted


def _node_of(lines: list[str], index: int, indent: str) -> str:
    """The name of the node whose `type:` line is lines[index]: the nearest line above, indented less."""
    for line in reversed(lines[:index]):
        found = NODE_LINE.match(line.rstrip("\r\n"))
        if found and len(found["indent"]) < len(indent):
            return found["name"]
    return ""


def keep_silent_passes(text: str) -> str | None:
    """The definition with `no_input_passes` added where a menu lacks it; None when nothing (safely) changes."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    wanted = _passes_wanted(data)
    if not wanted:
        return None
    lines = text.splitlines(keepends=True)
    result = []
    for index, line in enumerate(lines):
        result.append(line)
        found = TYPE_MENU.match(line.rstrip("\r\n"))
        name = _node_of(lines, index, found["indent"]) if found else ""
        if found and name in wanted:
            ending = "\n" if line.endswith("\n") else ""
            result.append(("" if ending else "\n") + f"{found['indent']}no_input_passes: {wanted[name]}\n")
    changed = "".join(result)
    expected = dict(data)
    expected["nodes"] = {name: {**fields, **({"no_input_passes": wanted[name]} if name in wanted else {})}
                         for name, fields in data["nodes"].items()}
    return changed if yaml.safe_load(changed) == expected else None


def forwards(apps: Any, schema_editor: Any) -> None:
    IvrFlow = apps.get_model("ivrdata", "IvrFlow")
    for flow in IvrFlow.objects.all():
        changed = keep_silent_passes(flow.definition)
        if changed is not None:
            flow.definition = changed
            flow.save(update_fields=["definition"])


class Migration(migrations.Migration):

    dependencies = [("ivrdata", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
