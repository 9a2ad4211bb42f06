"""What the engine is given: stored flows plus the demo, and one folder with every prompt by id."""

from __future__ import annotations

from typing import Any

from hotline.ivrdata.actions import do_delete_prompt, do_save_flow, do_save_prompt
from hotline.ivrdata.engine import flows, prompt_folder
from hotline.ivrdata.models import BUILTIN_PROMPTS, IvrFlow, IvrPrompt
from hotline.telephony.ivr.loader import FLOWS_DIR, load_demo_flow
from hotline.telephony.media.prompts import read_wav
from tests.ivrdata.helpers import SALES_YAML, flow_yaml, upload, wav_bytes


def test_flows_are_the_stored_ones_plus_the_demo(users: dict[str, Any]) -> None:
    do_save_flow(IvrFlow(name="sales", definition=SALES_YAML), actor=users["admin"])
    found = flows()
    assert sorted(found) == ["demo", "sales"]
    assert (found["sales"].name, found["sales"].start, sorted(found["sales"].nodes)) == (
        "sales", "hello", ["hello", "sales"])
    assert found["demo"] == load_demo_flow()


def test_a_stored_demo_flow_replaces_the_built_in_one(users: dict[str, Any]) -> None:
    do_save_flow(IvrFlow(name="demo", definition=flow_yaml(name="demo", start="greet")), actor=users["admin"])
    found = flows()
    assert sorted(found) == ["demo"]
    assert found["demo"].start == "greet"
    assert (FLOWS_DIR / "demo.yaml").is_file()


def test_with_nothing_stored_only_the_demo_runs(db: None) -> None:
    assert list(flows()) == ["demo"]


def test_the_prompt_folder_serves_uploads_by_id_and_built_ins_otherwise(users: dict[str, Any]) -> None:
    welcome, promo = wav_bytes(tone=440), wav_bytes(tone=660)
    do_save_prompt(IvrPrompt(name="welcome", file=upload(welcome)), actor=users["admin"])
    do_save_prompt(IvrPrompt(name="promo", file=upload(promo)), actor=users["admin"])
    folder = prompt_folder()
    assert (folder / "welcome.wav").read_bytes() == welcome
    assert (folder / "promo.wav").read_bytes() == promo
    assert (folder / "goodbye.wav").read_bytes() == (BUILTIN_PROMPTS / "goodbye.wav").read_bytes()
    builtin = {p.name for p in BUILTIN_PROMPTS.glob("*.wav")}
    assert {p.name for p in folder.glob("*.wav")} == builtin | {"promo.wav"}
    assert list(folder.glob(".*")) == []  # no temporary file left behind
    assert read_wav(folder / "promo.wav").frame_count == 25  # the engine reads it: 0.5 s of 20 ms frames


def test_the_folder_follows_deletions_when_rebuilt(users: dict[str, Any]) -> None:
    for name in ("welcome", "promo"):
        do_save_prompt(IvrPrompt(name=name, file=upload(wav_bytes(tone=500))), actor=users["admin"])
    prompt_folder()
    for prompt in IvrPrompt.objects.all():
        do_delete_prompt(prompt, actor=users["admin"])
    folder = prompt_folder()
    assert (folder / "welcome.wav").read_bytes() == (BUILTIN_PROMPTS / "welcome.wav").read_bytes()
    assert not (folder / "promo.wav").exists()


def test_a_lost_upload_falls_back_to_the_built_in_prompt(db: None) -> None:
    IvrPrompt.objects.create(name="welcome", file="ivr/prompts/lost.wav")  # the file was removed by hand
    folder = prompt_folder()
    assert (folder / "welcome.wav").read_bytes() == (BUILTIN_PROMPTS / "welcome.wav").read_bytes()
