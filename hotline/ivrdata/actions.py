"""Every write on stored IVR flows and prompts: validated, atomic, audited, announced on `ivrdata.changed`.

The engine reads flows and prompts when it starts (`hotline.ivrdata.engine`); the event lets a running
engine, or a screen, know that what it loaded is out of date.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.calls.models import NumberRoute
from hotline.ivrdata.models import IvrFlow, IvrPrompt, builtin_prompt_names
from hotline.lib.bus import publish_on_commit
from hotline.telephony.ivr.loader import FlowError

IVR_CHANGED = "ivrdata.changed"


def _snapshot(obj: models.Model) -> dict[str, Any]:
    data = snapshot(obj)
    if isinstance(obj, IvrPrompt):
        data["file"] = obj.file.name or ""  # a FieldFile is not JSON; its storage name is what matters
    return data


def _announce(kind: str, name: str) -> None:
    publish_on_commit(IVR_CHANGED, {"kind": kind, "name": name})


def _check_unrouted(name: str) -> None:
    """Refuse to remove the flow `name` while a number routes to it (its calls would find no flow)."""
    numbers = sorted(str(route.hotline_number) for route in
                     NumberRoute.objects.filter(flow=name).select_related("hotline_number"))
    if numbers:
        raise ValidationError(_("Number routes still use the flow “%(name)s”: %(numbers)s.")
                              % {"name": name, "numbers": ", ".join(numbers)})


@transaction.atomic
def do_save_flow(flow: IvrFlow, *, actor: Any) -> IvrFlow:
    """Validate (the loader's checks, and every prompt it plays exists) and save a flow.

    Renaming a flow that a number routes to is refused, as deleting it is.
    """
    old = IvrFlow.objects.filter(pk=flow.pk).first() if flow.pk else None
    if old is not None and old.name != flow.name:
        _check_unrouted(old.name)
    flow.full_clean()
    flow.save()
    record("change_ivr_flow" if old else "add_ivr_flow", flow, actor=actor,
           before=_snapshot(old) if old else None, after=_snapshot(flow))
    _announce("flow", flow.name)
    return flow


@transaction.atomic
def do_import_flow_yaml(name: str, text: str, *, actor: Any, description: str = "") -> tuple[IvrFlow, bool]:
    """Create the flow `name` from YAML, or replace the definition of the one already stored; (flow, created)."""
    flow = IvrFlow.objects.select_for_update().filter(name=name).first()
    created = flow is None
    if flow is None:
        flow = IvrFlow(name=name)
    flow.definition = text
    if description:
        flow.description = description
    return do_save_flow(flow, actor=actor), created


@transaction.atomic
def do_delete_flow(flow: IvrFlow, *, actor: Any) -> None:
    """Delete a flow that no number route uses."""
    _check_unrouted(flow.name)
    record("delete_ivr_flow", flow, actor=actor, before=_snapshot(flow), after=None)
    flow.delete()
    _announce("flow", flow.name)


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def _plays(flow: IvrFlow, prompt: str) -> bool:
    try:
        return prompt in flow.parse().prompt_ids()
    except FlowError:
        return False  # a flow the loader now refuses cannot run, so it plays nothing


def _check_unplayed(name: str) -> None:
    """Refuse to remove the uploaded prompt `name` while a stored flow plays it and no built-in one exists."""
    if name in builtin_prompt_names():
        return
    users = sorted(flow.name for flow in IvrFlow.objects.all() if _plays(flow, name))
    if users:
        raise ValidationError(_("The flows %(flows)s play the prompt “%(name)s”; change them first.")
                              % {"flows": ", ".join(users), "name": name})


@transaction.atomic
def do_save_prompt(prompt: IvrPrompt, *, actor: Any) -> IvrPrompt:
    """Check the upload (converted to 8 kHz when it is 16-bit mono at another rate) and save it.

    A replaced recording's file is removed once the new one is committed. Renaming a prompt is refused
    while a stored flow plays it under its old id, as deleting it is.
    """
    old = IvrPrompt.objects.filter(pk=prompt.pk).first() if prompt.pk else None
    if old is not None and old.name != prompt.name:
        _check_unplayed(old.name)
    prompt.full_clean()
    prompt.save()
    record("change_ivr_prompt" if old else "add_ivr_prompt", prompt, actor=actor,
           before=_snapshot(old) if old else None, after=_snapshot(prompt))
    if old is not None and old.file.name != prompt.file.name:
        _delete_file_on_commit(old.file.name)
    _announce("prompt", prompt.name)
    return prompt


@transaction.atomic
def do_delete_prompt(prompt: IvrPrompt, *, actor: Any) -> None:
    """Delete an uploaded prompt; refused while a stored flow plays it and no built-in prompt takes over."""
    _check_unplayed(prompt.name)
    record("delete_ivr_prompt", prompt, actor=actor, before=_snapshot(prompt), after=None)
    name = prompt.file.name
    prompt.delete()
    _delete_file_on_commit(name)
    _announce("prompt", prompt.name)
