"""The engine stays independent: nothing under hotline/telephony imports Django or another Hotline app."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "hotline" / "telephony"


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_the_engine_imports_neither_django_nor_other_hotline_apps() -> None:
    offenders = {
        f"{path.relative_to(ENGINE)}: {module}"
        for path in ENGINE.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] == "django"
        or (module.startswith("hotline.") and not module.startswith("hotline.telephony"))
    }
    assert offenders == set()
