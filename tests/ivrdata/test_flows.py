"""Stored IVR flows: the loader's checks, prompts that must exist, audit, events, YAML import."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from hotline.accounts.models import AuditEntry
from hotline.calls.models import NumberRoute
from hotline.ivrdata.actions import IVR_CHANGED, do_delete_flow, do_import_flow_yaml, do_save_flow, do_save_prompt
from hotline.ivrdata.models import IvrFlow, IvrPrompt
from tests.ivrdata.helpers import SALES_YAML, flow_yaml, upload, wav_bytes

pytestmark = pytest.mark.usefixtures("english")
BROKEN_YAML = SALES_YAML.replace("next: sales", "next: nowhere")


def refusal(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_a_valid_flow_is_saved_audited_and_announced(users: dict[str, Any], events: list[Any],
                                                      django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        flow = do_save_flow(IvrFlow(name="sales", description="直销", definition=SALES_YAML), actor=users["admin"])
    stored = IvrFlow.objects.get()
    assert (stored.name, stored.description, stored.definition) == ("sales", "直销", SALES_YAML)
    assert stored.parse().start == "hello"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_type, entry.object_id) == (
        "add_ivr_flow", users["admin"], "ivrdata.ivrflow", str(flow.pk))
    assert entry.before is None
    assert entry.after is not None
    assert entry.after == {**entry.after, "name": "sales", "definition": SALES_YAML}
    assert events == [(IVR_CHANGED, {"kind": "flow", "name": "sales"})]


def test_a_flow_the_loader_refuses_is_not_saved_and_the_loader_says_why(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        do_save_flow(IvrFlow(name="sales", definition=BROKEN_YAML), actor=users["admin"])
    assert refusal(exc) == {"definition": ["The flow is not valid: node 'hello': goes to missing node 'nowhere'"]}
    assert IvrFlow.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_the_refusal_is_translated(users: dict[str, Any]) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        do_save_flow(IvrFlow(name="sales", definition="name: [unclosed"), actor=users["admin"])
    [message] = refusal(exc)["definition"]
    assert message.startswith("流程无效：invalid YAML: ")


def test_a_flow_playing_an_unknown_prompt_is_refused_until_it_is_uploaded(users: dict[str, Any]) -> None:
    flow = IvrFlow(name="sales", definition=flow_yaml(prompt="spring_sale"))
    with pytest.raises(ValidationError) as exc:
        do_save_flow(flow, actor=users["admin"])
    assert refusal(exc) == {"definition": ["These prompts do not exist; upload them first: spring_sale."]}
    assert IvrFlow.objects.count() == 0
    do_save_prompt(IvrPrompt(name="spring_sale", file=upload(wav_bytes())), actor=users["admin"])
    do_save_flow(flow, actor=users["admin"])
    assert IvrFlow.objects.get().parse().nodes["hello"].prompt_ids() == ("spring_sale",)


def test_the_yaml_must_give_the_flow_its_own_name(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        do_save_flow(IvrFlow(name="sales", definition=flow_yaml(name="service")), actor=users["admin"])
    assert refusal(exc) == {"definition": ["The YAML names the flow “service”, not “sales”."]}


def test_import_creates_then_updates_by_name(users: dict[str, Any]) -> None:
    first, created = do_import_flow_yaml("sales", SALES_YAML, actor=users["admin"], description="v1")
    assert created is True
    second, created = do_import_flow_yaml("sales", flow_yaml(start="greet"), actor=users["admin"])
    assert created is False
    assert second.pk == first.pk
    stored = IvrFlow.objects.get()
    assert (stored.description, stored.parse().start) == ("v1", "greet")
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "add_ivr_flow", "change_ivr_flow"]
    last = AuditEntry.objects.order_by("id").last()
    assert last is not None and last.before is not None
    assert last.before["definition"] == SALES_YAML


def test_a_refused_import_leaves_the_stored_flow_alone(users: dict[str, Any]) -> None:
    do_import_flow_yaml("sales", SALES_YAML, actor=users["admin"])
    with pytest.raises(ValidationError):
        do_import_flow_yaml("sales", BROKEN_YAML, actor=users["admin"])
    assert IvrFlow.objects.get().definition == SALES_YAML
    assert AuditEntry.objects.count() == 1


def test_the_import_command_names_the_flow_from_the_yaml(users: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "sales.yaml"
    path.write_text(SALES_YAML, encoding="utf-8")
    out = StringIO()
    call_command("importivr", str(path), "--user", "t_admin", stdout=out)
    call_command("importivr", str(path), "--description", "again", stdout=out)
    assert out.getvalue().splitlines() == ["Created the IVR flow “sales”.", "Updated the IVR flow “sales”."]
    stored = IvrFlow.objects.get()
    assert (stored.name, stored.description) == ("sales", "again")
    assert [e.actor_name for e in AuditEntry.objects.order_by("id")] == ["t_admin", "system"]


def test_the_import_command_fails_with_the_loaders_message(db: None, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_YAML, encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("importivr", str(path), "--name", "sales", stdout=StringIO())
    assert str(exc.value) == "The flow is not valid: node 'hello': goes to missing node 'nowhere'"
    assert IvrFlow.objects.count() == 0


def test_a_flow_a_number_routes_to_cannot_be_deleted(users: dict[str, Any], world: Any) -> None:
    flow = do_save_flow(IvrFlow(name="sales", definition=SALES_YAML), actor=users["admin"])
    NumberRoute.objects.create(hotline_number=world.hotline, flow="sales")
    with pytest.raises(ValidationError) as exc:
        do_delete_flow(flow, actor=users["admin"])
    assert exc.value.messages == [f"Number routes still use the flow “sales”: {world.hotline}."]
    NumberRoute.objects.all().delete()
    do_delete_flow(flow, actor=users["admin"])
    assert IvrFlow.objects.count() == 0
    assert AuditEntry.objects.order_by("id").last().action == "delete_ivr_flow"  # type: ignore[union-attr]


def test_a_routed_flow_cannot_be_renamed(users: dict[str, Any], world: Any) -> None:
    flow = do_save_flow(IvrFlow(name="sales", definition=SALES_YAML), actor=users["admin"])
    NumberRoute.objects.create(hotline_number=world.hotline, flow="sales")
    flow.name, flow.definition = "service", flow_yaml(name="service")
    with pytest.raises(ValidationError) as exc:
        do_save_flow(flow, actor=users["admin"])
    assert exc.value.messages == [f"Number routes still use the flow “sales”: {world.hotline}."]
    assert IvrFlow.objects.get().name == "sales"
