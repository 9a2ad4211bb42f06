"""Template tags for the desk's knowledge base panel, which is included in a page it does not render."""

from __future__ import annotations

from django import template

from hotline.kb.models import Category

register = template.Library()


@register.simple_tag
def kb_categories() -> list[tuple[int, str]]:
    """(id, name with its path: 售后 › 退换货) of every category, in tree order."""
    rows = list(Category.objects.values_list("pk", "name", "parent_id", "position"))
    children: dict[int | None, list[tuple[int, str, int | None, int]]] = {}
    for row in rows:
        children.setdefault(row[2], []).append(row)
    found: list[tuple[int, str]] = []

    def walk(parent: int | None, prefix: str) -> None:
        for pk, name, _parent, _position in sorted(children.get(parent, []), key=lambda r: (r[3], r[1])):
            found.append((pk, prefix + name))
            walk(pk, f"{prefix}{name} › ")

    walk(None, "")
    return found
