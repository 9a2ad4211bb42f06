"""The `hotline` command as a newcomer types it: a clean environment (no SECRET_KEY, no DATABASE_URL), a data
folder of its own, each subcommand in a subprocess — help, usage lines, errors in one line, the demo's
print-out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBCOMMANDS = ["demo", "serve", "engine", "migrate", "loaddemo", "createadmin", "bench", "simulate", "import",
               "token", "worker"]


def hotline(data: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`hotline ARGV…` with only PATH, HOME and the data folder (and `env`) set, as a fresh shell has."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(data.parent), "HOTLINE_DATA_DIR": str(data),
             **env}
    return subprocess.run([sys.executable, "-m", "hotline.cli", *argv], cwd=ROOT, env=clean, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A data folder where `hotline demo --no-serve` has migrated and loaded the demo (no SECRET_KEY set)."""
    data = tmp_path_factory.mktemp("cli") / "data"
    return data, hotline(data, "demo", "--no-serve")


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_s_help_works_without_a_secret_key_and_names_itself(tmp_path: Path, name: str) -> None:
    shown = hotline(tmp_path / "data", name, "--help")
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.startswith(f"usage: hotline {name} ")


@pytest.mark.parametrize(("argv", "usage"), [
    (["bench", "lookup", "--help"], "usage: hotline bench lookup "),
    (["simulate", "airing", "--help"], "usage: hotline simulate airing "),
    (["simulate", "call", "--help"], "usage: hotline simulate call "),
    (["manage", "check", "--help"], "usage: hotline manage check "),
])
def test_nested_usage_lines_show_the_command_as_typed(tmp_path: Path, argv: list[str], usage: str) -> None:
    shown = hotline(tmp_path / "data", *argv)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(usage)


def test_outside_the_demo_s_database_a_missing_key_is_one_line_and_status_2(tmp_path: Path) -> None:
    refused = hotline(tmp_path / "data", "serve", DATABASE_URL="postgres://hotline@127.0.0.1:5432/hotline")
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("hotline: SECRET_KEY is not set. Hotline needs one for a database named by "
                                     "DATABASE_URL: export SECRET_KEY")


@pytest.mark.parametrize("name", ["serve", "engine", "worker"])
def test_the_servers_still_refuse_a_database_url_without_a_key(tmp_path: Path, name: str) -> None:
    refused = hotline(tmp_path / "data", name, DATABASE_URL="postgres://hotline@127.0.0.1:5432/hotline")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.startswith("hotline: SECRET_KEY is not set.")


def test_benchmarks_run_on_a_database_url_without_a_key(tmp_path: Path) -> None:
    """A newcomer following the README points DATABASE_URL at PostgreSQL and runs a bench: no SECRET_KEY
    needed (a tool gets a throwaway one). Port 1: the routing bench never connects, so none need be there."""
    database = {"DATABASE_URL": "postgres://hotline@127.0.0.1:1/hotline"}
    shown = hotline(tmp_path / "data", "bench", "--help", **database)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.startswith("usage: hotline bench ")
    report = tmp_path / "benchmarks.md"
    measured = hotline(tmp_path / "data", "bench", "routing", "--agents", "6", "--queues", "3", "--callers", "10",
                       "--rounds", "20", "--no-write", "--output", str(report), "--json", **database)
    assert measured.returncode == 0, measured.stderr
    assert json.loads(measured.stdout)["result"]["rounds"] == 20
    assert not report.exists() and not (tmp_path / "data" / "secret_key").exists()  # printed only; no key kept


def test_an_unknown_subcommand_is_status_2_with_the_list(tmp_path: Path) -> None:
    refused = hotline(tmp_path / "data", "apitoken")
    assert refused.returncode == 2 and refused.stderr.startswith("hotline: unknown command 'apitoken'")


def test_simulate_explains_its_outcome_names_in_its_help(tmp_path: Path) -> None:
    shown = hotline(tmp_path / "data", "simulate", "--help").stdout
    assert "Outcomes of the simulated calls (each call has exactly one):" in shown
    for name in ("answered", "callback", "abandoned_ivr", "abandoned_queue", "self_service", "ended_by_engine",
                 "refused", "failed"):
        assert f"\n  {name:<16} " in shown


def test_bench_says_where_it_writes_and_when(tmp_path: Path) -> None:
    shown = hotline(tmp_path / "data", "bench", "routing", "--help").stdout
    flat = " ".join(shown.split())
    assert f"Markdown file whose routing section is written (default: {ROOT / 'docs' / 'benchmarks.md'})" in flat
    assert "Default: only when that section was measured on this machine (same CPU, cores and RAM)" in flat


def test_the_demo_prints_who_sits_where_and_what_a_softphone_needs(demo_data) -> None:  # type: ignore[no-untyped-def]
    _data, demo = demo_data
    assert demo.returncode == 0, demo.stderr
    lines = demo.stdout.splitlines()
    seats = lines[lines.index("Seats (agents start signed out: register the seat's phone, sign in at "
                              "http://127.0.0.1:8000/desk/ and confirm the seat):"):]
    assert seats[1:13] == [
        "  agent1   → A-01 → SIP user 8001  王丽",
        "  agent2   → A-02 → SIP user 8002  李娜",
        "  agent3   → A-03 → SIP user 8003  张敏",
        "  agent4   → A-04 → SIP user 8004  陈静",
        "  agent5   → A-05 → SIP user 8005  杨洋",
        "  agent6   → A-06 → SIP user 8006  黄磊",
        "  agent7   → A-07 → SIP user 8007  周婷",
        "  agent8   → A-08 → SIP user 8008  吴倩",
        "  agent9   → A-09 → SIP user 8009  徐鹏",
        "  agent10  → A-10 → SIP user 8010  孙悦",
        "  super1   → S-01 → SIP user 8091  刘芳 (supervisor: listen / whisper / barge ring this phone)",
        "Softphone: user = the seat's SIP user (8001 for agent1), password hotline-demo, domain and registrar "
        "127.0.0.1:5060, transport UDP.",
    ]
    assert ("Try it: register a softphone as above, then ring the hotline 4008001000 as a known customer with "
            "`hotline simulate call --from 13800138000`, or air a TV spot with "
            "`hotline simulate airing --cps 5 --duration 30 --agents 10`.") in lines


def test_subcommands_work_on_the_demo_s_database_without_a_secret_key(demo_data) -> None:  # type: ignore[no-untyped-def]
    data, _demo = demo_data
    migrated = hotline(data, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    token = hotline(data, "token", "agent1")
    assert token.returncode == 0 and token.stdout.startswith("hl_"), token.stderr
    admin = hotline(data, "createadmin", "--username", "boss", "--password", "a-long-password")
    assert (admin.returncode, admin.stdout.strip()) == (0, "Administrator 'boss' created."), admin.stderr
    loaded = hotline(data, "loaddemo")
    assert loaded.returncode == 1 and loaded.stderr.startswith("CommandError: The database already holds data (")


def test_the_import_error_names_good_rows_as_typed(demo_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, _demo = demo_data
    table = tmp_path / "customers.csv"
    table.write_text("姓名,手机\n张三,13912345678\n,abc\n", encoding="utf-8-sig")
    refused = hotline(data, "import", "customers", str(table), LANGUAGE_CODE="en")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == ("CommandError: Nothing was imported: 1 of 2 rows has errors. Fix it, "
                                               "or run the command again with --good-rows to import the valid rows.")
