"""docs/permissions.md cannot drift: its tables are parsed and compared with the code."""

from __future__ import annotations

import re
from pathlib import Path

from hotline.accounts.permissions import ROLE_PERMS, Perm, Role
from hotline.orders.transitions import TRANSITIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = list(Role.values)


def tables() -> list[list[list[str]]]:
    """Every markdown table in the page, as rows of stripped cells (separator rows dropped)."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*DOC.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def role_tables() -> list[list[list[str]]]:
    return [table for table in tables() if table[0][-len(ROLES):] == ROLES]


def grants() -> dict[str, set[str]]:
    """Code -> roles with a ✓, from every role × permission table in the page."""
    result: dict[str, set[str]] = {}
    for table in role_tables():
        for row in table[1:]:
            codes = re.findall(r"`([a-z_]+\.[a-z_]+)`", " ".join(row[:-len(ROLES)]))
            assert len(codes) == 1, f"one permission code per row: {row}"
            assert codes[0] not in result, f"{codes[0]} is listed twice"
            marks = row[-len(ROLES):]
            assert set(marks) <= {"✓", ""}, f"cells are ✓ or empty: {row}"
            result[codes[0]] = {role for role, mark in zip(ROLES, marks, strict=True) if mark == "✓"}
    return result


def test_the_page_has_the_matrix_and_the_back_office_table() -> None:
    assert len(role_tables()) == 2
    assert [cell for cell in role_tables()[0][0][:2]] == ["Permission", "Code"]


def test_every_perm_is_in_the_matrix_with_exactly_the_roles_that_have_it() -> None:
    matrix = grants()
    for perm in Perm:
        assert perm.value in matrix, f"{perm.name} is missing from docs/permissions.md"
        assert matrix[perm.value] == {role for role in ROLES if perm.value in ROLE_PERMS[role]}, perm.name


def test_the_main_matrix_lists_the_perms_in_order() -> None:
    main = role_tables()[0]
    assert [re.findall(r"`(.+?)`", row[1])[0] for row in main[1:]] == [perm.value for perm in Perm]


def test_every_grant_of_the_code_is_on_the_page_and_nothing_else() -> None:
    documented = grants()
    for role in ROLES:
        assert {code for code, roles in documented.items() if role in roles} == set(ROLE_PERMS[role]), role


def test_the_lifecycle_table_matches_the_transitions() -> None:
    [lifecycle] = [table for table in tables() if table[0][:3] == ["From", "To", "Permission"]]
    documented = {(row[0], row[1]): row[2].strip("`") for row in lifecycle[1:]}
    assert documented == {(str(a), str(b)): perm.value for (a, b), perm in TRANSITIONS.items()}
    for row in lifecycle[1:]:
        holders = [role for role in ROLES if row[2].strip("`") in ROLE_PERMS[role]]
        assert row[3] == ", ".join(holders), row


def test_the_rules_are_written_down() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in ("An agent cannot see settlement data", "An agent cannot change a shipped order",
                 "Finance cannot take calls", "Inactive users have no permissions",
                 "An agent changes only their own orders", "Only managers and admins export customers"):
        assert rule in text
