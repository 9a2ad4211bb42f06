"""Form templates as data: what each entry of `FormTemplate.fields` may say, and its validation.

An entry places one thing on the page, in millimetres from the top-left corner:

- data (printed on every form): `text` (a field's value, shrunk and wrapped to fit its box),
  `amount_words` (a money field in capital numerals, 大写金额), `barcode` (Code128) and `qr`;
- frame (printed only when the template's `draw_frame` is on, for blank paper and labels): `box`, `line`,
  `caption` (fixed text; a `line` may be `dashed`); a data entry's `label` is a caption printed in its top-left corner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DATA_TYPES = ("text", "amount_words", "barcode", "qr")
FRAME_TYPES = ("box", "line", "caption")
TYPES = DATA_TYPES + FRAME_TYPES

# field name → what it is, for the template editor's help
FIELDS = {
    "order_number": gettext_lazy("order number"),
    "tracking_number": gettext_lazy("tracking number"),
    "recipient": gettext_lazy("recipient"),
    "recipient_phone": gettext_lazy("recipient phone"),
    "address": gettext_lazy("address"),
    "postcode": gettext_lazy("postcode"),
    "destination": gettext_lazy("destination (province and city)"),
    "sender_name": gettext_lazy("sender name"),
    "sender_phone": gettext_lazy("sender phone"),
    "sender_address": gettext_lazy("sender address"),
    "sender_postcode": gettext_lazy("sender postcode"),
    "cod_amount": gettext_lazy("COD amount"),
    "freight": gettext_lazy("freight"),
    "total": gettext_lazy("order total"),
    "weight_kg": gettext_lazy("weight"),
    "pieces": gettext_lazy("pieces"),
    "contents": gettext_lazy("contents"),
    "contents_lines": gettext_lazy("contents, one line per product"),
    "courier": gettext_lazy("courier"),
    "order_date": gettext_lazy("order date"),
    "notes": gettext_lazy("notes"),
}
MONEY_FIELDS = frozenset({"cod_amount", "freight", "total"})
# Code128 encodes ASCII only; these fields always are
CODE_FIELDS = frozenset({"order_number", "tracking_number", "postcode", "recipient_phone"})
ALIGNS = ("left", "center", "right")
_NUMBERS = ("x", "y", "width", "height", "size", "lines")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One validated entry of a template, in millimetres (size in points)."""

    type: str
    x: float
    y: float
    width: float = 0.0
    height: float = 0.0
    field: str = ""
    size: float = 10.0
    lines: int = 1
    align: str = "left"
    bold: bool = False
    label: str = ""
    text: str = ""
    show_text: bool = True
    blank_zero: bool = False
    dashed: bool = False

    @property
    def is_frame(self) -> bool:
        return self.type in FRAME_TYPES


@dataclass(frozen=True, slots=True)
class Layout:
    """A whole form: page size and printer offsets in millimetres, whether to print the frame, the entries."""

    name: str
    width: float
    height: float
    offset_x: float
    offset_y: float
    draw_frame: bool
    fields: tuple[FieldSpec, ...]


def _number(entry: Mapping[str, Any], key: str, where: str, errors: list[str]) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        errors.append(_("%(where)s: “%(key)s” must be a number.") % {"where": where, "key": key})
        return None
    try:
        number = float(value)
    except ValueError:
        errors.append(_("%(where)s: “%(key)s” must be a number.") % {"where": where, "key": key})
        return None
    if number < 0 or number != number:
        errors.append(_("%(where)s: “%(key)s” cannot be negative.") % {"where": where, "key": key})
        return None
    return number


def _check_kind(entry: Mapping[str, Any], kind: str, where: str, errors: list[str]) -> None:
    """The rules that depend on the entry's type: which field it prints, what a frame entry needs."""
    field = entry.get("field", "")
    if kind in DATA_TYPES and field not in FIELDS:
        errors.append(_("%(where)s: unknown field “%(field)s”; use one of %(fields)s.")
                      % {"where": where, "field": field, "fields": ", ".join(FIELDS)})
    elif kind == "amount_words" and field not in MONEY_FIELDS:
        errors.append(_("%(where)s: amounts in words need a money field (%(fields)s).")
                      % {"where": where, "fields": ", ".join(sorted(MONEY_FIELDS))})
    elif kind == "barcode" and field not in CODE_FIELDS:
        errors.append(_("%(where)s: a barcode can only print %(fields)s.")
                      % {"where": where, "fields": ", ".join(sorted(CODE_FIELDS))})
    if kind in ("barcode", "qr", "box") and not (entry.get("width") and entry.get("height")):
        errors.append(_("%(where)s: a %(type)s needs a width and a height.") % {"where": where, "type": kind})
    if kind == "caption" and not str(entry.get("text", "")).strip():
        errors.append(_("%(where)s: a caption needs its text.") % {"where": where})
    if entry.get("align", "left") not in ALIGNS:
        errors.append(_("%(where)s: align must be left, center or right.") % {"where": where})


def _check_entry(index: int, entry: object, page: tuple[float, float] | None, errors: list[str]) -> None:
    where = _("Entry %(number)d") % {"number": index + 1}
    if not isinstance(entry, Mapping):
        errors.append(_("%(where)s must be an object with a type and a position.") % {"where": where})
        return
    kind = entry.get("type", "text")
    if kind not in TYPES:
        errors.append(_("%(where)s: unknown type “%(type)s”; use one of %(types)s.")
                      % {"where": where, "type": kind, "types": ", ".join(TYPES)})
        return
    numbers = {key: _number(entry, key, where, errors) for key in _NUMBERS}
    if numbers["x"] is None or numbers["y"] is None:
        if entry.get("x") is None or entry.get("y") is None:
            errors.append(_("%(where)s needs x and y (millimetres from the top-left corner).") % {"where": where})
        return
    _check_kind(entry, kind, where, errors)
    if page is not None:
        right = numbers["x"] + (numbers["width"] or 0)
        bottom = numbers["y"] + (numbers["height"] or 0)
        if right > page[0] + 0.05 or bottom > page[1] + 0.05:
            errors.append(_("%(where)s lies outside the %(width)g × %(height)g mm page.")
                          % {"where": where, "width": page[0], "height": page[1]})


def validate_template(fields: object, *, page: tuple[float, float] | None = None) -> tuple[FieldSpec, ...]:
    """Check a template's entries and return them parsed; any problem raises one ValidationError that
    lists every bad entry, so the form editor can show them all at once. `page` is (width, height) in mm."""
    if not isinstance(fields, Sequence) or isinstance(fields, str | bytes):
        raise ValidationError(_("The form's fields must be a list of entries."), code="invalid")
    errors: list[str] = []
    for index, entry in enumerate(fields):
        _check_entry(index, entry, page, errors)
    if errors:
        raise ValidationError(errors, code="invalid")
    return tuple(_spec(entry) for entry in fields)


def _spec(entry: Mapping[str, Any]) -> FieldSpec:
    def num(key: str, default: float) -> float:
        return float(entry[key]) if entry.get(key) is not None else default

    return FieldSpec(
        type=entry.get("type", "text"), x=num("x", 0), y=num("y", 0), width=num("width", 0),
        height=num("height", 0), field=entry.get("field", ""), size=num("size", 10),
        lines=max(1, int(num("lines", 1))), align=entry.get("align", "left"), bold=bool(entry.get("bold")),
        label=str(entry.get("label", "")), text=str(entry.get("text", "")),
        show_text=bool(entry.get("show_text", True)), blank_zero=bool(entry.get("blank_zero")),
        dashed=bool(entry.get("dashed")))


def layout_of(template: object) -> Layout:
    """A validated Layout from a FormTemplate row or a dict with the same keys."""
    def get(key: str, default: object = None) -> Any:
        if isinstance(template, Mapping):
            return template.get(key, default)
        return getattr(template, key, default)

    width, height = float(get("page_width_mm")), float(get("page_height_mm"))
    if width <= 0 or height <= 0:
        raise ValidationError(_("The page needs a width and a height."), code="invalid")
    return Layout(name=str(get("name", "")), width=width, height=height,
                  offset_x=float(get("offset_x_mm", 0) or 0), offset_y=float(get("offset_y_mm", 0) or 0),
                  draw_frame=bool(get("draw_frame", True)),
                  fields=validate_template(get("fields", []), page=(width, height)))
