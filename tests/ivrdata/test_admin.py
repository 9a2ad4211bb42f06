"""The back office for IVR flows and prompts: administrators only, every write through the actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.calls.models import NumberRoute
from hotline.ivrdata.actions import do_save_flow
from hotline.ivrdata.models import IvrFlow, IvrPrompt
from tests.backoffice.helpers import admin_url, english_client
from tests.ivrdata.helpers import SALES_YAML, upload, wav_bytes

SCREENS = ["ivrdata/ivrflow", "ivrdata/ivrprompt"]


@pytest.fixture
def client_as(users: dict[str, Any]) -> Callable[[str], Client]:
    return lambda role: english_client(users[role])


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("view", ["changelist", "add"])
@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("agent", 302), ("supervisor", 403),
                                              ("manager", 403)])
def test_only_admins_open_the_pages(screen: str, view: str, role: str, status: int,
                                    client_as: Callable[[str], Client]) -> None:
    response = client_as(role).get(admin_url(screen, view))
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == f"/admin/login/?next={admin_url(screen, view)}"


def test_an_admin_adds_a_flow_from_a_yaml_file(client_as: Callable[[str], Client], users: dict[str, Any]) -> None:
    yaml_file = SimpleUploadedFile("sales.yaml", SALES_YAML.encode(), content_type="application/yaml")
    response = client_as("admin").post(admin_url("ivrdata/ivrflow", "add"),
                                       {"name": "sales", "description": "", "definition": "", "yaml_file": yaml_file})
    assert response.status_code == 302
    assert IvrFlow.objects.get().definition == SALES_YAML
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == ("add_ivr_flow", users["admin"])


def test_the_flow_form_shows_the_loaders_message(client_as: Callable[[str], Client]) -> None:
    broken = SALES_YAML.replace("next: sales", "next: nowhere")
    response = client_as("admin").post(admin_url("ivrdata/ivrflow", "add"),
                                       {"name": "sales", "description": "", "definition": broken})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "definition": ["The flow is not valid: node 'hello': goes to missing node 'nowhere'"]}
    assert IvrFlow.objects.count() == 0


def test_an_admin_uploads_a_prompt(client_as: Callable[[str], Client], users: dict[str, Any]) -> None:
    data = wav_bytes()
    response = client_as("admin").post(admin_url("ivrdata/ivrprompt", "add"),
                                       {"name": "welcome", "text": "您好", "file": upload(data)})
    assert response.status_code == 302
    prompt = IvrPrompt.objects.get()
    with prompt.file.open("rb") as stored:
        assert stored.read() == data
    assert AuditEntry.objects.get().action == "add_ivr_prompt"


def test_a_stereo_upload_is_refused_on_the_form(client_as: Callable[[str], Client]) -> None:
    stereo = upload(wav_bytes(44100, 2, seconds=0.1))
    response = client_as("admin").post(admin_url("ivrdata/ivrprompt", "add"),
                                       {"name": "welcome", "text": "", "file": stereo})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"file": [
        "The prompt must be an 8 kHz, 16-bit, mono WAV; this file is 44100 Hz, 16-bit, 2 channel(s)."]}
    assert IvrPrompt.objects.count() == 0


def test_deleting_a_routed_flow_is_refused_with_a_message(client_as: Callable[[str], Client],
                                                          users: dict[str, Any], world: Any) -> None:
    flow = do_save_flow(IvrFlow(name="sales", definition=SALES_YAML), actor=users["admin"])
    NumberRoute.objects.create(hotline_number=world.hotline, flow="sales")
    response = client_as("admin").post(admin_url("ivrdata/ivrflow", "delete", flow.pk), {"post": "yes"},
                                       follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Number routes still use the flow “sales”: {world.hotline}."]
    assert IvrFlow.objects.count() == 1
