"""Five ready-made form templates, so a new installation prints on day one; calibrate them in the admin.

All positions are millimetres from the top-left corner (see template.py for what an entry may say)."""

from __future__ import annotations

from typing import Any

Entry = dict[str, Any]


def _caption(x: float, y: float, text: str, size: float = 7, **more: Any) -> Entry:
    return {"type": "caption", "x": x, "y": y, "text": text, "size": size, **more}


def _box(x: float, y: float, width: float, height: float, **more: Any) -> Entry:
    return {"type": "box", "x": x, "y": y, "width": width, "height": height, **more}


def _hline(x: float, y: float, width: float, **more: Any) -> Entry:
    return {"type": "line", "x": x, "y": y, "width": width, "height": 0, **more}


def _vline(x: float, y: float, height: float, **more: Any) -> Entry:
    return {"type": "line", "x": x, "y": y, "width": 0, "height": height, **more}


def _text(field: str, x: float, y: float, width: float, size: float = 9, **more: Any) -> Entry:
    return {"type": "text", "field": field, "x": x, "y": y, "width": width, "size": size, **more}


def _party(x: float, y: float, width: float, title: str, prefix: str, big: float) -> list[Entry]:
    """A sender or recipient block: a titled box with name, phone, address and postcode."""
    return [
        _box(x, y, width, 46),
        _caption(x + 2, y + 1.5, title, 8, bold=True),
        _caption(x + 2, y + 8, "姓名"), _text(f"{prefix}_name" if prefix == "sender" else "recipient",
                                            x + 11, y + 7, width * 0.45, big, bold=True),
        _caption(x + width * 0.58, y + 8, "电话"),
        _text(f"{prefix}_phone", x + width * 0.58 + 8, y + 7, width * 0.42 - 10, big),
        _caption(x + 2, y + 17, "地址"),
        _text("sender_address" if prefix == "sender" else "address", x + 11, y + 16, width - 13, big - 1,
              lines=3),
        _hline(x, y + 37, width),
        _caption(x + 2, y + 39.5, "邮政编码"),
        _text(f"{prefix}_postcode" if prefix == "sender" else "postcode", x + 17, y + 38.5, 30, big),
    ]


def ems_waybill() -> dict[str, Any]:
    """EMS 国内标准快递详情单, 230 × 127 mm, with the COD amount in capital numerals."""
    fields = [
        _caption(6, 3, "EMS 中国邮政速递物流", 15, bold=True),
        _caption(6, 10, "国内标准快递 · 代收货款"),
        {"type": "barcode", "field": "order_number", "x": 150, "y": 2, "width": 74, "height": 12, "size": 8},
        *_party(5, 16, 108, "寄件人 FROM", "sender", 10),
        *_party(117, 16, 108, "收件人 TO", "recipient", 11),
        _box(5, 64, 108, 30),
        _caption(7, 65.5, "内件品名", 8, bold=True),
        _text("contents", 7, 71, 104, 9, lines=3),
        _hline(5, 85, 108),
        _caption(7, 87.5, "件数"), _text("pieces", 15, 86.5, 20, 10),
        _caption(40, 87.5, "重量"), _text("weight_kg", 48, 86.5, 25, 10),
        _caption(76, 87.5, "资费"), _text("freight", 84, 86.5, 27, 10),
        _box(117, 64, 108, 30, bold=True),
        _caption(119, 65.5, "代收货款", 8, bold=True),
        _caption(119, 72, "金额（小写）"),
        _text("cod_amount", 137, 70.5, 40, 13, bold=True, blank_zero=True),
        _caption(119, 81, "人民币（大写）"),
        {"type": "amount_words", "field": "cod_amount", "x": 140, "y": 80, "width": 83, "size": 11,
         "bold": True, "blank_zero": True},
        _box(5, 96, 108, 27),
        _caption(7, 97.5, "备注"),
        _text("notes", 7, 102, 104, 8, lines=3),
        _caption(7, 116.5, "订单号"), _text("order_number", 18, 115.5, 45, 9),
        _caption(66, 116.5, "订购日期"), _text("order_date", 80, 115.5, 31, 9),
        _box(117, 96, 108, 27),
        _caption(119, 97.5, "收件人签名："),
        _caption(119, 116.5, "签收时间：        年     月     日     时"),
        _caption(175, 97.5, "投递员："),
    ]
    return {"name": "EMS 快递单", "kind": "ems", "page_width_mm": 230, "page_height_mm": 127,
            "draw_frame": True, "fields": fields}


def post_parcel_form() -> dict[str, Any]:
    """邮政 国内包裹详情单 / 邮购单, 240 × 140 mm: recipient first, as China Post prints it."""
    fields = [
        _caption(6, 3, "中国邮政  国内包裹详情单（邮购）", 14, bold=True),
        {"type": "barcode", "field": "order_number", "x": 168, "y": 2, "width": 66, "height": 12, "size": 8},
        _box(5, 17, 160, 52, bold=True),
        _caption(7, 18.5, "收件人", 9, bold=True),
        _caption(7, 26, "姓名"), _text("recipient", 16, 25, 70, 13, bold=True),
        _caption(92, 26, "电话"), _text("recipient_phone", 100, 25, 62, 13),
        _caption(7, 36, "详细地址"), _text("address", 22, 35, 140, 12, lines=3),
        _hline(5, 58, 160),
        _caption(7, 61.5, "收件人邮政编码"), _text("postcode", 30, 60, 40, 13, bold=True),
        _caption(92, 61.5, "目的地"), _text("destination", 104, 60, 58, 11),
        _box(5, 71, 160, 30),
        _caption(7, 72.5, "寄件人", 8, bold=True),
        _caption(7, 79, "单位"), _text("sender_name", 16, 78, 70, 9),
        _caption(92, 79, "电话"), _text("sender_phone", 100, 78, 62, 9),
        _caption(7, 86.5, "地址"), _text("sender_address", 16, 85.5, 146, 9),
        _caption(7, 94, "邮编"), _text("sender_postcode", 16, 93, 40, 9),
        _box(5, 103, 160, 33),
        _caption(7, 104.5, "内装物品", 8, bold=True),
        _text("contents", 7, 110, 156, 9, lines=3),
        _caption(7, 128.5, "订单号"), _text("order_number", 18, 127.5, 50, 9),
        _caption(92, 128.5, "订购日期"), _text("order_date", 106, 127.5, 40, 9),
        _box(169, 17, 66, 52, bold=True),
        _caption(171, 18.5, "代收货款（邮购）", 9, bold=True),
        _caption(171, 26, "小写"), _text("cod_amount", 180, 25, 52, 13, bold=True, blank_zero=True),
        _caption(171, 36, "大写"),
        {"type": "amount_words", "field": "cod_amount", "x": 171, "y": 41, "width": 62, "size": 11,
         "lines": 2, "bold": True, "blank_zero": True},
        _box(169, 71, 66, 30),
        _caption(171, 73.5, "重量"), _text("weight_kg", 182, 72.5, 50, 10),
        _caption(171, 81.5, "件数"), _text("pieces", 182, 80.5, 50, 10),
        _caption(171, 89.5, "资费"), _text("freight", 182, 88.5, 50, 10),
        _box(169, 103, 66, 33),
        _caption(171, 104.5, "收件人签章"),
        _caption(171, 127.5, "日期：     年    月    日"),
    ]
    return {"name": "邮政 邮购单/包裹单", "kind": "post", "page_width_mm": 240, "page_height_mm": 140,
            "draw_frame": True, "fields": fields}


def delivery_note() -> dict[str, Any]:
    """送货单 for city delivery on 241 × 140 mm continuous paper (9½ × 5½ inch, three-part forms)."""
    fields = [
        _text("sender_name", 10, 5, 221, 15, align="center", bold=True),
        _caption(10, 13, "送  货  单", 12, width=221, align="center", bold=True),
        {"type": "barcode", "field": "order_number", "x": 175, "y": 4, "width": 60, "height": 12, "size": 8},
        _caption(10, 21, "订单号"), _text("order_number", 21, 20, 50, 9),
        _caption(80, 21, "订购日期"), _text("order_date", 94, 20, 30, 9),
        _caption(130, 21, "承运"), _text("courier", 139, 20, 50, 9),
        _box(8, 26, 225, 22),
        _caption(10, 28.5, "客户"), _text("recipient", 19, 27.5, 60, 11, bold=True),
        _caption(90, 28.5, "电话"), _text("recipient_phone", 99, 27.5, 60, 11),
        _caption(165, 28.5, "邮编"), _text("postcode", 174, 27.5, 30, 11),
        _caption(10, 37.5, "地址"), _text("address", 19, 36.5, 210, 10, lines=2),
        _box(8, 50, 225, 48),
        _caption(10, 51.5, "商品明细（品名 × 数量  金额）", 8, bold=True),
        _text("contents_lines", 12, 57, 217, 10, lines=7),
        _box(8, 100, 225, 18),
        _caption(10, 102.5, "订单金额"), _text("total", 24, 101.5, 30, 10),
        _caption(60, 102.5, "运费"), _text("freight", 69, 101.5, 25, 10),
        _caption(100, 102.5, "应收货款"), _text("cod_amount", 115, 101, 40, 12, bold=True, blank_zero=True),
        _caption(10, 111, "人民币（大写）"),
        {"type": "amount_words", "field": "cod_amount", "x": 31, "y": 110, "width": 130, "size": 11,
         "bold": True, "blank_zero": True},
        _caption(165, 102.5, "件数"), _text("pieces", 174, 101.5, 20, 10),
        _caption(165, 111, "重量"), _text("weight_kg", 174, 110, 30, 10),
        _caption(10, 121, "备注"), _text("notes", 19, 120, 212, 8, lines=2),
        _caption(10, 132, "送货人签字：________________"),
        _caption(90, 132, "收货人签字：________________"),
        _caption(170, 132, "日期：______年____月____日"),
        _caption(180, 136.5, "客服热线", 6), _text("sender_phone", 191, 136, 40, 7),
    ]
    return {"name": "送货单", "kind": "note", "page_width_mm": 241, "page_height_mm": 140,
            "draw_frame": True, "fields": fields}


def _label_top(width: float) -> list[Entry]:
    """Courier, COD, destination and the tracking barcode: the sorting centre's half of a thermal label."""
    return [
        _text("courier", 3, 2.5, 50, 14, bold=True),
        _caption(55, 2, "代收货款", 7, width=42, align="right"),
        _text("cod_amount", 55, 5.5, 42, 13, bold=True, blank_zero=True, align="right"),
        _hline(0, 12, width, bold=True),
        _text("destination", 3, 14, width - 6, 20, bold=True, align="center"),
        _hline(0, 24, width, bold=True),
        {"type": "barcode", "field": "tracking_number", "x": 5, "y": 26, "width": 90, "height": 20,
         "size": 10},
        _hline(0, 48, width, bold=True),
    ]


def _label_people(y: float, width: float) -> list[Entry]:
    """Recipient (large) and sender (small) blocks of a thermal label, from `y` down 44 mm."""
    return [
        _box(2, y + 2, 9, 9, bold=True), _caption(3.3, y + 3.2, "收", 16, bold=True),
        _text("recipient", 14, y + 1.5, 40, 13, bold=True),
        _text("recipient_phone", 55, y + 1.5, 43, 13, bold=True),
        _text("address", 14, y + 8, width - 16, 11, lines=3, bold=True),
        _hline(0, y + 28, width),
        _box(2, y + 30, 7, 7), _caption(2.8, y + 30.8, "寄", 12, bold=True),
        _text("sender_name", 12, y + 29.5, 48, 8),
        _text("sender_phone", 62, y + 29.5, 36, 8),
        _text("sender_address", 12, y + 34, width - 14, 7, lines=2),
        _hline(0, y + 43, width, bold=True),
    ]


def _label_goods(y: float, width: float) -> list[Entry]:
    """Contents, weight and the order's QR code."""
    return [
        _caption(3, y + 1.5, "内件", 7, bold=True),
        _text("contents", 3, y + 5, 64, 8, lines=3),
        _caption(3, y + 17.5, "重量"), _text("weight_kg", 10, y + 17, 20, 8),
        _caption(32, y + 17.5, "件数"), _text("pieces", 39, y + 17, 10, 8),
        _caption(3, y + 22, "订购"), _text("order_date", 10, y + 21.5, 25, 8),
        {"type": "qr", "field": "order_number", "x": 71, "y": y + 1, "width": 26, "height": 26},
        _vline(69, y, 28),
    ]


def thermal_label_150() -> dict[str, Any]:
    """电子面单 100 × 150 mm: big tracking barcode, destination, recipient; QR and barcode of the order."""
    fields = [
        *_label_top(100),
        *_label_people(48, 100),
        *_label_goods(91, 100),
        _hline(0, 119, 100, bold=True),
        {"type": "barcode", "field": "order_number", "x": 3, "y": 121, "width": 55, "height": 12, "size": 8},
        _caption(62, 122, "签收人："), _caption(62, 130, "时间："),
        _text("notes", 3, 137, 94, 7, lines=2),
    ]
    return {"name": "电子面单 100×150", "kind": "label150", "page_width_mm": 100, "page_height_mm": 150,
            "draw_frame": True, "fields": fields}


def thermal_label_180() -> dict[str, Any]:
    """电子面单 100 × 180 mm: the 150 mm layout plus a customer's stub below the tear line (客户联)."""
    fields = [
        *_label_top(100),
        *_label_people(48, 100),
        *_label_goods(91, 100),
        _hline(0, 119, 100, bold=True),
        {"type": "barcode", "field": "order_number", "x": 3, "y": 121, "width": 55, "height": 11, "size": 7},
        _caption(62, 122, "签收人："), _caption(62, 128, "时间："),
        _hline(0, 136, 40, dashed=True), _hline(60, 136, 40, dashed=True),
        _caption(40, 134.6, "沿此线撕开", 6, width=20, align="center"),
        _caption(3, 139.5, "客户联", 9, bold=True),
        {"type": "barcode", "field": "tracking_number", "x": 40, "y": 139, "width": 57, "height": 11, "size": 7},
        _caption(3, 153, "收件"), _text("recipient", 11, 152.5, 30, 8),
        _text("recipient_phone", 42, 152.5, 30, 8),
        _text("address", 11, 157, 86, 7, lines=2),
        _caption(3, 166, "内件"), _text("contents", 11, 165.5, 86, 7, lines=2),
        _caption(3, 174.5, "代收"), _text("cod_amount", 11, 174, 25, 8, blank_zero=True),
        _caption(38, 174.5, "订单"), _text("order_number", 46, 174, 40, 8),
    ]
    return {"name": "电子面单 100×180", "kind": "label180", "page_width_mm": 100, "page_height_mm": 180,
            "draw_frame": True, "fields": fields}


def default_form_templates() -> list[dict[str, Any]]:
    """The five shipped templates as FormTemplate field values: EMS, post parcel, delivery note, two labels."""
    return [ems_waybill(), post_parcel_form(), delivery_note(), thermal_label_150(), thermal_label_180()]
