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


MAX_MODULE_LINES = 600  # ARCHITECTURE: split a module into a package when it passes ~600 lines
MAX_ENGINE_LINES = 250  # the composition root stays a composition root


def test_no_engine_module_is_over_600_lines() -> None:
    long = {str(path.relative_to(ENGINE)): lines for path in ENGINE.rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_the_engine_module_is_a_composition_root_under_250_lines() -> None:
    assert len((ENGINE / "engine.py").read_text(encoding="utf-8").splitlines()) < MAX_ENGINE_LINES


def engine_takers(path: Path) -> set[str]:
    """Where a module imports the engine module, or names `Engine` in a function's parameters."""
    found = {f"imports {module}" for module in imported_modules(path) if module == "hotline.telephony.engine"}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in (*node.args.args, *node.args.kwonlyargs):
                if arg.annotation is not None and "Engine" in ast.unparse(arg.annotation).split("."):
                    found.add(f"{node.name}({arg.arg}: {ast.unparse(arg.annotation)})")
    return found


def test_calls_and_the_services_never_take_the_whole_engine() -> None:
    """A call (inbound session, agent-first dial, supervisor's leg, callbacks) gets its `CallContext`; the
    services get the collaborators they use. Only the control layer and the health check see the engine."""
    allowed = {"engine.py", "control.py", "health.py", "commands.py"}
    offenders = {f"{path.relative_to(ENGINE)}: {taker}" for path in ENGINE.rglob("*.py")
                 if str(path.relative_to(ENGINE)) not in allowed for taker in engine_takers(path)}
    assert offenders == set()


def test_the_check_finds_a_session_that_takes_the_engine(tmp_path: Path) -> None:
    module = tmp_path / "session.py"
    module.write_text("from hotline.telephony.engine import Engine\n\n"
                      "class CallSession:\n    def __init__(self, engine: Engine) -> None: ...\n", encoding="utf-8")
    assert engine_takers(module) == {"imports hotline.telephony.engine", "__init__(engine: Engine)"}
