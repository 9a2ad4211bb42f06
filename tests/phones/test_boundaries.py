"""The phones package is production code built only from the engine's SIP and media pieces: it imports
`hotline.telephony.sip`, `hotline.telephony.media`, itself and the standard library, nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PHONES = Path(__file__).resolve().parents[2] / "hotline" / "phones"
ALLOWED = ("hotline.telephony.sip", "hotline.telephony.media", "hotline.phones")


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def allowed(module: str) -> bool:
    return (module.split(".")[0] in sys.stdlib_module_names
            or any(module == prefix or module.startswith(f"{prefix}.") for prefix in ALLOWED))


def test_the_phones_package_imports_only_sip_media_and_the_standard_library() -> None:
    offenders = {f"{path.name}: {module}" for path in PHONES.rglob("*.py")
                 for module in imported_modules(path) if not allowed(module)}
    assert offenders == set()


def test_the_check_would_catch_an_engine_or_django_import() -> None:
    assert [allowed(module) for module in ("hotline.telephony.engine", "django.conf", "hotline.simulate.media",
                                           "uvloop", "asyncio", "hotline.telephony.sip.calls")] \
        == [False, False, False, False, True, True]
