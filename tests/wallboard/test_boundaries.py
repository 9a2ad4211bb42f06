"""The wallboard stands on its own: what it shares with the desk lives in hotline/floor, not in the desk."""

from __future__ import annotations

import ast
from pathlib import Path

HOTLINE = Path(__file__).resolve().parents[2] / "hotline"


def imported_modules(source: str, package: str) -> set[str]:
    """Every module a module of `package` imports, absolute or relative (resolved against `package`)."""
    parts = package.split(".")
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            modules.add(module)
            modules.update(f"{module}.{alias.name}" for alias in node.names)  # `from hotline import desk`
    return modules


def imports_the_desk(module: str) -> bool:
    return module == "hotline.desk" or module.startswith("hotline.desk.")


def test_no_wallboard_module_imports_the_desk() -> None:
    offenders = {
        f"{path.relative_to(HOTLINE)}: {module}"
        for path in (HOTLINE / "wallboard").rglob("*.py")
        for module in imported_modules(path.read_text(encoding="utf-8"), "hotline.wallboard")
        if imports_the_desk(module)
    }
    assert offenders == set()


def test_every_way_of_importing_the_desk_is_seen() -> None:
    # the check above passes vacuously if it cannot see an import: each spelling the wallboard could use
    sources = ["from hotline.desk.consumers import CLOSE_FORBIDDEN", "import hotline.desk.views",
               "from hotline import desk", "from ..desk import state", "from ..desk.state import STALE_CALL"]
    seen = [any(imports_the_desk(module) for module in imported_modules(source, "hotline.wallboard"))
            for source in sources]
    assert seen == [True] * len(sources)
    assert not any(imports_the_desk(module) for module in
                   imported_modules("from hotline.floor.live import STALE_CALL\nimport hotline.deskless",
                                    "hotline.wallboard"))
