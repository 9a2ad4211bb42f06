"""Shipping forms, labels, pick lists and packing lists rendered from templates as data (ReportLab)."""

from __future__ import annotations

import dataclasses
import datetime
import re
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from reportlab.lib.units import mm

from hotline.logistics.models import FormTemplate, ShipmentStatus
from hotline.logistics.printing import (
    FormData,
    ParcelItem,
    PickLine,
    batch_parcels,
    batch_pick_lines,
    default_form_templates,
    fonts,
    form_data,
    pick_lines,
    render_forms,
    render_packing_lists,
    render_pick_list,
    validate_template,
)
from hotline.logistics.printing.config import PrintConfig, Sender
from hotline.logistics.printing.draw import Page, code128_bars, qr_matrix, wrap
from tests import factories
from tests.logistics.factories import make_batch, make_courier, make_order, make_parcel

SENDER = Sender("热线优选", "400-800-1000", "上海市浦东新区张江路88号", "201203")
ITEMS = (ParcelItem("NK-101", "颈椎按摩仪", 2, "A-03-2", False, Decimal("398.00"), Decimal("796.00")),
         ParcelItem("KZ-201", "按摩靠枕", 1, "B-12-1", True))


def parcel(number: int = 1, **changes: Any) -> FormData:
    values: dict[str, Any] = {
        "order_number": f"HL20261207{number:04d}", "recipient": "欧阳晓明", "recipient_phone": "13800138000",
        "address": "广东省深圳市南山区科技园南路18号", "postcode": "518057", "destination": "广东省 深圳市",
        "sender_name": SENDER.name, "sender_phone": SENDER.phone, "sender_address": SENDER.address,
        "sender_postcode": SENDER.postcode, "cod_amount": Decimal("1005.00"), "freight": Decimal("12.00"),
        "total": Decimal("1005.00"), "weight_kg": Decimal("2.350"), "contents": "颈椎按摩仪×2", "courier": "EMS",
        "tracking_number": f"98{number:011d}", "order_date": datetime.date(2026, 12, 7), "notes": "工作日送货",
        "items": ITEMS}
    values.update(changes)
    return FormData(**values)


def pdf_pages(pdf: bytes) -> int:
    """Page objects in a ReportLab PDF (their dictionaries are never compressed)."""
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any]]]:
    """What the renderer draws, as ("text", (x_pt, y_pt, text)), ("barcode", value) and ("qr", value)."""
    seen: list[tuple[str, Any]] = []
    text_line, code128, qr = Page.text_line, Page.code128, Page.qr

    def record_text(self: Page, x: float, baseline: float, text: str, size: float, **more: Any) -> None:
        # a centred or right-aligned line moves inside text_line: only a left-aligned one is placed at x
        placed = self.pt(x, baseline) if more.get("align", "left") == "left" else (None, None)
        seen.append(("text", (*placed, text)))
        text_line(self, x, baseline, text, size, **more)

    def record_code(self: Page, box: Any, value: str, *args: Any) -> None:
        seen.append(("barcode", value))
        code128(self, box, value, *args)

    def record_qr(self: Page, box: Any, value: str) -> None:
        seen.append(("qr", value))
        qr(self, box, value)

    monkeypatch.setattr(Page, "text_line", record_text)
    monkeypatch.setattr(Page, "code128", record_code)
    monkeypatch.setattr(Page, "qr", record_qr)
    yield seen


def texts(seen: list[tuple[str, Any]]) -> list[str]:
    return [item[2] for kind, item in seen if kind == "text"]


@pytest.fixture(autouse=True)
def _in_chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


# templates -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("template", default_form_templates(), ids=lambda template: template["kind"])
def test_each_default_template_prints_one_page_per_parcel(template: dict[str, Any]) -> None:
    pdf = render_forms(template, [parcel(number) for number in range(1, 8)])
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 7


def test_default_templates_cover_every_kind_and_are_valid(db: None) -> None:
    templates = default_form_templates()
    assert [t["kind"] for t in templates] == ["ems", "post", "note", "label150", "label180"]
    assert [(t["page_width_mm"], t["page_height_mm"]) for t in templates] == [
        (230, 127), (240, 140), (241, 140), (100, 150), (100, 180)]
    for template in templates:
        validate_template(template["fields"], page=(template["page_width_mm"], template["page_height_mm"]))
        FormTemplate(**template).full_clean()


def test_parcels_may_come_from_a_generator() -> None:
    pdf = render_forms(default_form_templates()[3], (parcel(number) for number in range(1, 4)))
    assert pdf_pages(pdf) == 3


def test_the_same_input_gives_the_same_bytes() -> None:
    template = default_form_templates()[0]
    assert render_forms(template, [parcel()]) == render_forms(template, [parcel()])


def test_ems_form_prints_the_parcel_and_the_cod_amount_in_words(drawn: list[tuple[str, Any]]) -> None:
    render_forms(default_form_templates()[0], [parcel()])
    printed = texts(drawn)
    for value in ("欧阳晓明", "13800138000", "广东省深圳市南山区科技园南路18号", "518057", "¥1005.00",
                  "壹仟零伍元整", "热线优选", "400-800-1000", "颈椎按摩仪×2", "2.35 kg", "¥12.00",
                  "HL202612070001", "2026-12-07", "工作日送货", "EMS 中国邮政速递物流"):
        assert value in printed
    assert ("barcode", "HL202612070001") in drawn


def test_label_prints_the_tracking_barcode_and_the_order_qr(drawn: list[tuple[str, Any]]) -> None:
    render_forms(default_form_templates()[4], [parcel(3)])
    assert [item for item in drawn if item[0] != "text"] == [
        ("barcode", "9800000000003"), ("qr", "HL202612070003"), ("barcode", "HL202612070003"),
        ("barcode", "9800000000003")]


def test_prepaid_parcel_prints_no_cod_amount(drawn: list[tuple[str, Any]]) -> None:
    render_forms(default_form_templates()[0], [parcel(cod_amount=Decimal("0.00"))])
    printed = texts(drawn)
    assert "¥0.00" not in printed
    assert "零元整" not in printed


def test_parcel_without_tracking_number_gets_no_tracking_barcode(drawn: list[tuple[str, Any]]) -> None:
    render_forms(default_form_templates()[3], [parcel(tracking_number="")])
    assert [value for kind, value in drawn if kind == "barcode"] == ["HL202612070001"]


def test_offsets_shift_every_position(drawn: list[tuple[str, Any]]) -> None:
    fields = [{"type": "text", "field": "recipient", "x": 20, "y": 30, "width": 50, "size": 10},
              {"type": "caption", "text": "收件人", "x": 5, "y": 30, "width": 14, "size": 8}]
    template = {"name": "t", "page_width_mm": 100, "page_height_mm": 150, "fields": fields}
    render_forms(template, [parcel()])
    plain = [item for kind, item in drawn if kind == "text"]
    drawn.clear()
    render_forms({**template, "offset_x_mm": Decimal("3.5"), "offset_y_mm": Decimal("-2")}, [parcel()])
    shifted = [item for kind, item in drawn if kind == "text"]
    assert [text for _x, _y, text in plain] == ["收件人", "欧阳晓明"]
    assert [(round(x, 3), round(y, 3), text) for x, y, text in shifted] == [
        (round(x + 3.5 * mm, 3), round(y + 2 * mm, 3), text) for x, y, text in plain]
    assert plain[1][:2] == pytest.approx((20 * mm, (150 - 30 - 10 * 0.86 / mm) * mm))


def test_pre_printed_forms_get_the_data_only(drawn: list[tuple[str, Any]]) -> None:
    template = {**default_form_templates()[0], "draw_frame": False}
    render_forms(template, [parcel()])
    printed = texts(drawn)
    assert "欧阳晓明" in printed
    assert "EMS 中国邮政速递物流" not in printed
    assert "收件人 TO" not in printed


def test_a_form_template_row_renders_like_its_dict() -> None:
    values = default_form_templates()[2]
    row = FormTemplate(**values)
    assert render_forms(row, [parcel()]) == render_forms(values, [parcel()])


def test_nothing_to_print_is_an_error() -> None:
    with pytest.raises(ValidationError, match="没有包裹"):
        render_forms(default_form_templates()[0], [])


# validation ------------------------------------------------------------------------------------------------

@pytest.fixture
def english_messages() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english_messages")
@pytest.mark.parametrize(("entry", "message"), [
    ({"type": "table", "field": "recipient", "x": 1, "y": 1},
     "Entry 2: unknown type “table”; use one of text, amount_words, barcode, qr, box, line, caption."),
    ({"type": "text", "field": "shoe_size", "x": 1, "y": 1}, "Entry 2: unknown field “shoe_size”; use one of "),
    ({"type": "text", "field": "recipient", "y": 1}, "Entry 2 needs x and y (millimetres from the top-left corner)."),
    ({"type": "text", "field": "recipient", "x": "left", "y": 1}, "Entry 2: “x” must be a number."),
    ({"type": "text", "field": "recipient", "x": -1, "y": 1}, "Entry 2: “x” cannot be negative."),
    ({"type": "barcode", "field": "recipient", "x": 1, "y": 1, "width": 40, "height": 10},
     "Entry 2: a barcode can only print order_number, postcode, recipient_phone, tracking_number."),
    ({"type": "barcode", "field": "order_number", "x": 1, "y": 1}, "Entry 2: a barcode needs a width and a height."),
    ({"type": "amount_words", "field": "recipient", "x": 1, "y": 1},
     "Entry 2: amounts in words need a money field (cod_amount, freight, total)."),
    ({"type": "caption", "x": 1, "y": 1}, "Entry 2: a caption needs its text."),
    ({"type": "text", "field": "recipient", "x": 1, "y": 1, "align": "justify"},
     "Entry 2: align must be left, center or right."),
    ({"type": "text", "field": "recipient", "x": 90, "y": 1, "width": 20},
     "Entry 2 lies outside the 100 × 150 mm page."),
    ("recipient", "Entry 2 must be an object with a type and a position."),
])
def test_bad_template_entries_are_named_clearly(entry: object, message: str) -> None:
    good = {"type": "text", "field": "recipient", "x": 1, "y": 1}
    with pytest.raises(ValidationError) as caught:
        validate_template([good, entry], page=(100, 150))
    assert len(caught.value.messages) == 1
    assert caught.value.messages[0].startswith(message)


@pytest.mark.usefixtures("english_messages")
def test_every_bad_entry_is_listed_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_template([{"type": "table", "x": 1, "y": 1}, {"type": "qr", "field": "order_number", "x": 1}])
    assert caught.value.messages == [
        "Entry 1: unknown type “table”; use one of text, amount_words, barcode, qr, box, line, caption.",
        "Entry 2 needs x and y (millimetres from the top-left corner)."]


@pytest.mark.usefixtures("english_messages")
def test_fields_must_be_a_list() -> None:
    with pytest.raises(ValidationError, match="must be a list"):
        validate_template({"field": "recipient"})


def test_rendering_a_bad_template_draws_nothing() -> None:
    template = {"name": "t", "page_width_mm": 100, "page_height_mm": 150,
                "fields": [{"type": "hologram", "x": 1, "y": 1}]}
    with pytest.raises(ValidationError, match="hologram"):
        render_forms(template, [parcel()])


def test_validation_returns_parsed_entries_with_defaults() -> None:
    specs = validate_template([{"field": "recipient", "x": "12.5", "y": 3}])
    assert dataclasses.astuple(specs[0]) == ("text", 12.5, 3.0, 0.0, 0.0, "recipient", 10.0, 1, "left", False, "",
                                            "", True, False, False)


# drawing primitives ---------------------------------------------------------------------------------------

def test_code128_has_start_and_stop_patterns() -> None:
    bars = code128_bars("HL202612070001")
    assert [dark for _width, dark in bars] == [index % 2 == 0 for index in range(len(bars))]
    assert [width for width, _dark in bars[:6]] == [2, 1, 1, 2, 1, 4]  # START B
    assert [width for width, _dark in bars[-7:]] == [2, 3, 3, 1, 1, 1, 2]  # STOP
    assert sum(width for width, _dark in bars) % 11 == 2  # 11 modules per symbol, 13 for the stop


def test_qr_matrix_has_three_finder_patterns() -> None:
    matrix = qr_matrix("HL202612070001")
    size = len(matrix)
    assert size == 21 and all(len(row) == size for row in matrix)
    finder = [[row in (0, 6) or col in (0, 6) or (2 <= row <= 4 and 2 <= col <= 4) for col in range(7)]
              for row in range(7)]
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        assert [list(matrix[top + row][left:left + 7]) for row in range(7)] == finder


def test_wrap_keeps_latin_runs_whole() -> None:
    rows = wrap("收件人电话13800138000请先联系", 30, 10)
    assert "".join(rows) == "收件人电话13800138000请先联系"
    assert any("13800138000" in row for row in rows)


def test_long_text_shrinks_and_never_leaves_its_box(drawn: list[tuple[str, Any]]) -> None:
    address = "广东省深圳市南山区粤海街道科技园南区高新南七道数字技术园B2栋12楼1203室" * 3
    fields = [{"type": "text", "field": "address", "x": 10, "y": 10, "width": 40, "size": 12, "lines": 2}]
    render_forms({"name": "t", "page_width_mm": 100, "page_height_mm": 50, "fields": fields},
                 [parcel(address=address)])
    rows = texts(drawn)
    assert len(rows) == 2
    assert rows[1].endswith("…")
    assert all(fonts.text_width(row, 5) <= 40 * mm for row in rows)


def test_a_missing_font_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts.pdfmetrics, "getRegisteredFontNames", lambda: [])
    monkeypatch.setattr(fonts, "print_config", lambda: PrintConfig(SENDER, "/nonexistent/font.ttc"))
    with translation.override("en"), pytest.raises(fonts.FontMissing) as caught:
        fonts.cjk_font()
    assert str(caught.value) == (
        "The Chinese font for printed forms is missing: /nonexistent/font.ttc. Install Debian's fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei) or set HOTLINE_CJK_FONT to a TrueType font file.")


# pick list and packing lists ------------------------------------------------------------------------------

def test_pick_lines_total_units_and_orders_per_product() -> None:
    other = parcel(2, items=(ParcelItem("NK-101", "颈椎按摩仪", 1, "A-03-2"),
                             ParcelItem("HX-305", "护膝", 3, "A-10-4")))
    lines = sorted(pick_lines([parcel(1), other]), key=lambda line: line.sku)
    assert lines == [PickLine("HX-305", "护膝", "A-10-4", 3, 1), PickLine("KZ-201", "按摩靠枕", "B-12-1", 1, 1),
                     PickLine("NK-101", "颈椎按摩仪", "A-03-2", 3, 2)]


def test_pick_list_is_sorted_by_location_with_totals(drawn: list[tuple[str, Any]]) -> None:
    lines = [PickLine("S3", "无货位商品", "", 1), PickLine("S2", "护膝", "A-10-4", 3, 2),
             PickLine("S1", "颈椎按摩仪", "A-3-2", 5, 4), PickLine("S4", "靠枕", "B-1-1", 2, 2)]
    pdf = render_pick_list(lines, heading="批次 B0001")
    assert pdf_pages(pdf) == 1
    printed = texts(drawn)
    rows = [printed.index(sku) for sku in ("S1", "S2", "S4", "S3")]
    assert rows == sorted(rows)
    assert "拣货单" in printed and "批次 B0001" in printed
    assert "合计：4 种商品，11 件" in printed


def test_a_long_pick_list_runs_over_pages() -> None:
    lines = [PickLine(f"S{index:03d}", f"商品{index}", f"A-{index}", 1) for index in range(80)]
    assert pdf_pages(render_pick_list(lines)) == 3


def test_one_packing_list_per_order_with_gifts_and_quantities(drawn: list[tuple[str, Any]]) -> None:
    long_order = parcel(3, items=tuple(ParcelItem(f"P{index}", f"商品{index}", 1) for index in range(15)))
    pdf = render_packing_lists([parcel(1), parcel(2), long_order])
    assert pdf_pages(pdf) == 4  # the 15-line order continues on a second page
    printed = texts(drawn)
    assert "按摩靠枕（赠品）" in printed
    assert "颈椎按摩仪" in printed and "¥398.00" in printed and "¥796.00" in printed
    assert "代收货款：¥1005.00（壹仟零伍元整）" in printed

# Never skipped: quickstart.sh's test step installs poppler-utils, and a missing pdftotext fails.

def test_the_pdf_text_can_be_extracted_by_a_reader() -> None:
    pdf = render_forms(default_form_templates()[0], [parcel(1), parcel(2)])
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert text.count("欧阳晓明") == 2
    assert "壹仟零伍元整" in text
    assert "HL202612070002" in text


# data from the database ----------------------------------------------------------------------------------

@pytest.fixture
def batch_world(db: None) -> Any:
    product = factories.make_product("颈椎按摩仪", "398.00")
    product.location = "A-03-2"
    product.save()
    gift = factories.make_product("按摩靠枕", "0.00")
    customer = factories.make_customer()
    courier = make_courier("EMS", "ems")
    first = make_order(customer, (product, 2), number="HL202612070001", notes="下午送")
    make_order_line_gift = first.lines.create(product=gift, quantity=1, unit_price=Decimal("0"),
                                              line_total=Decimal("0"), is_gift=True)
    second = make_order(customer, (product, 1), number="HL202612070002")
    cancelled = make_order(customer, (product, 9), number="HL202612070003")
    parcels = [make_parcel(first, courier), make_parcel(second, courier, tracking="EM123"),
               make_parcel(cancelled, courier, status=ShipmentStatus.CANCELLED)]
    return make_batch(courier, *parcels), parcels, make_order_line_gift


def test_form_data_from_a_shipment(batch_world: Any) -> None:
    _batch, parcels, _gift = batch_world
    data = form_data(parcels[0], sender=SENDER)
    assert (data.order_number, data.recipient, data.recipient_phone, data.address, data.destination) == (
        "HL202612070001", "王小明", "13800138000", "广东深圳南山区科技园南路18号", "广东 深圳")
    assert (data.cod_amount, data.freight, data.weight_kg, data.courier, data.tracking_number) == (
        Decimal("796.00"), Decimal("12.00"), Decimal("1.000"), "EMS", "")
    assert (data.sender_name, data.notes, data.pieces) == ("热线优选", "下午送", 3)
    assert data.contents == "颈椎按摩仪×2；按摩靠枕×1（赠品）"
    assert [(item.name, item.quantity, item.gift, item.location) for item in data.items] == [
        ("颈椎按摩仪", 2, False, "A-03-2"), ("按摩靠枕", 1, True, "")]


def test_batch_parcels_skip_cancelled_ones_and_come_in_order(batch_world: Any,
                                                              django_assert_max_num_queries: Any) -> None:
    batch, _parcels, _gift = batch_world
    with django_assert_max_num_queries(3):
        parcels = list(batch_parcels(batch, sender=SENDER))
    assert [(p.order_number, p.tracking_number) for p in parcels] == [("HL202612070001", ""),
                                                                      ("HL202612070002", "EM123")]
    assert pdf_pages(render_forms(default_form_templates()[3], batch_parcels(batch, sender=SENDER))) == 2


def test_batch_pick_lines_are_summed_by_the_database(batch_world: Any) -> None:
    batch, _parcels, _gift = batch_world
    lines = sorted(batch_pick_lines(batch), key=lambda line: line.name)
    assert [(line.name, line.location, line.quantity, line.orders) for line in lines] == [
        ("按摩靠枕", "", 1, 1), ("颈椎按摩仪", "A-03-2", 3, 2)]
