"""The Chinese catalog stays complete: every message translated, compiled, and no source string missing."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "hotline"
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
TRANSLATORS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
NOT_TRANSLATED_DIRS = {"demo", "bench", "migrations"}  # operator-facing command output, not screens


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # type: ignore[no-any-return]


def parse_po(path: Path) -> list[dict[str, object]]:
    """Entries of a .po file: msgctxt, msgid, msgstr (list for plurals) and flags; the header is skipped."""
    entries: list[dict[str, object]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, object] = {"flags": "", "msgstr": []}
        key = ""
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"] = line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if key.startswith("msgstr"):
                    strs = entry["msgstr"]
                    assert isinstance(strs, list)
                    strs[-1] += _unquote(line)
                else:
                    entry[key] = str(entry[key]) + _unquote(line)
            else:
                key, _sep, rest = line.partition(" ")
                if key.startswith("msgstr"):
                    strs = entry["msgstr"]
                    assert isinstance(strs, list)
                    strs.append(_unquote(rest))
                else:
                    entry[key] = _unquote(rest)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def source_messages() -> set[str]:
    """Literal strings passed to gettext functions in the code that users see."""
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if NOT_TRANSLATED_DIRS & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATORS
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


ENTRIES = parse_po(PO)


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    untranslated = [e["msgid"] for e in ENTRIES if not all(e["msgstr"])]  # type: ignore[arg-type]
    fuzzy = [e["msgid"] for e in ENTRIES if "fuzzy" in str(e["flags"])]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalog_matches_the_source_catalog() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in ENTRIES:
        msgstr = entry["msgstr"]
        assert isinstance(msgstr, list)
        if "msgid_plural" in entry:
            got = compiled.ngettext(str(entry["msgid"]), str(entry["msgid_plural"]), 1)
        elif "msgctxt" in entry:
            got = compiled.pgettext(str(entry["msgctxt"]), str(entry["msgid"]))
        else:
            got = compiled.gettext(str(entry["msgid"]))
        if got != msgstr[0]:
            stale.append(entry["msgid"])
    assert stale == [], "run `manage.py compilemessages` after editing the .po file"


def test_every_source_message_is_in_the_catalog() -> None:
    catalog = {e["msgid"] for e in ENTRIES}
    missing = sorted(m for m in source_messages() if m not in catalog)
    assert missing == [], "run `manage.py makemessages -l zh_Hans` and translate"
