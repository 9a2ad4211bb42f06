"""Whether a benchmark records its figures: --write / --no-write decide; by default only over a section
measured on this machine, or a new one in a folder that exists (never into an installed copy)."""

from __future__ import annotations

from pathlib import Path

from hotline.bench.report import machine_line, write_decision, write_section

HERE = {"cpu": "AMD EPYC", "cores": "2", "ram": "23.5 GiB", "os": "Debian GNU/Linux 12 (bookworm), Linux 6.1",
        "python": "3.11.7", "django": "5.2.19", "sqlite": "3.40.1", "date": "2026-11-25"}
ELSEWHERE = {**HERE, "cpu": "Intel(R) Core(TM) i7-1165G7", "cores": "8", "ram": "15.4 GiB"}


def page(tmp_path: Path, machine: dict[str, str]) -> Path:
    path = tmp_path / "benchmarks.md"
    write_section(path, "routing", f"| figures |\n\n{machine_line(machine)}")
    return path


def test_a_section_measured_on_this_machine_is_replaced(tmp_path: Path) -> None:
    later = {**HERE, "date": "2026-12-07", "os": "Debian GNU/Linux 12 (bookworm), Linux 6.2", "django": "5.2.20"}
    assert write_decision(page(tmp_path, HERE), "routing", None, later) == (True, "")


def test_a_section_from_another_machine_is_kept_unless_asked(tmp_path: Path) -> None:
    path = page(tmp_path, HERE)
    assert write_decision(path, "routing", None, ELSEWHERE) == (
        False, "its routing section was measured on another machine (AMD EPYC, 2 cores, 23.5 GiB RAM, Debian "
               "GNU/Linux 12 (bookworm), Linux 6.1); --write replaces it")
    assert write_decision(path, "routing", False, ELSEWHERE) == (True, "")  # --write
    assert write_decision(path, "routing", True, HERE) == (False, "--no-write")


def test_a_new_section_is_written_where_its_folder_exists_only(tmp_path: Path) -> None:
    assert write_decision(page(tmp_path, HERE), "surge", None, ELSEWHERE) == (True, "")
    assert write_decision(tmp_path / "new.md", "surge", None, HERE) == (True, "")
    installed = tmp_path / "site-packages" / "docs" / "benchmarks.md"
    assert write_decision(installed, "surge", None, HERE) == (
        False, f"{installed.parent} does not exist; --write creates it")
