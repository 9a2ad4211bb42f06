"""Render the shipped form templates, a pick list and a packing list with Chinese sample data, to PNG.

    .venv/bin/python scripts/render_forms.py [--out docs/screenshots] [--bench PAGES]

Needs pdftoppm (Debian's poppler-utils) for the PNGs. --bench PAGES renders PAGES forms of each template
(no PNGs) and prints pages per second; no database is used.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

import django

django.setup()

from django.utils import translation  # noqa: E402

from hotline.logistics.printing import (  # noqa: E402
    FormData,
    ParcelItem,
    default_form_templates,
    pick_lines,
    render_forms,
    render_packing_lists,
    render_pick_list,
)
from hotline.logistics.printing.data import contents_summary, with_sender  # noqa: E402

FILES = {"ems": "form-ems", "post": "form-post", "note": "form-note", "label150": "label-100x150",
         "label180": "label-100x180"}
ITEMS = (
    ParcelItem("NK-101", "颈椎按摩仪（豪华款）", 2, "A-03-2", False, Decimal("398.00"), Decimal("796.00")),
    ParcelItem("KZ-201", "按摩靠枕", 1, "B-12-1", True),
    ParcelItem("HX-305", "远红外护膝（一对装）", 1, "A-10-4", False, Decimal("99.00"), Decimal("99.00")),
)

MORE_ITEMS = (
    ParcelItem("ZL-880", "多功能料理机", 1, "C-02-1", False, Decimal("699.00"), Decimal("699.00")),
    ParcelItem("DB-118", "不粘锅三件套", 2, "A-3-1", False, Decimal("199.00"), Decimal("398.00")),
    ParcelItem("BX-600", "真空保鲜盒（10只装）", 1, "", True),
    ParcelItem("KZ-201", "按摩靠枕", 1, "B-12-1", True),
)


def sample(number: int = 1, tracking: str = "1234567890123") -> FormData:
    """A cash-on-delivery parcel to an address long enough to wrap."""
    return FormData(
        order_number=f"HL20261207{number:04d}", recipient="欧阳晓明", recipient_phone="13800138000",
        address="广东省深圳市南山区粤海街道科技园南区高新南七道数字技术园B2栋12楼1203室",
        postcode="518057", destination="广东省 深圳市", **with_sender(None),
        cod_amount=Decimal("1005.50"), freight=Decimal("12.00"), total=Decimal("1005.50"),
        weight_kg=Decimal("2.350"), contents=contents_summary(ITEMS), tracking_number=tracking,
        courier="EMS", order_date=datetime.date(2026, 12, 7), notes="请工作日白天送货，送货前请先电话联系。",
        items=ITEMS)


def to_png(pdf: bytes, target: Path) -> None:
    """The PDF's first page as a PNG at 150 dpi."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(source), str(target.with_suffix(""))],
                       check=True)


def bench(pages: int) -> None:
    """Pages per second for each shipped template, fonts already registered."""
    render_forms(default_form_templates()[0], [sample()])  # registers the font, warms the caches
    for template in default_form_templates():
        parcels = (sample(number, f"98{number:011d}") for number in range(pages))
        started = time.perf_counter()
        size = len(render_forms(template, parcels))
        seconds = time.perf_counter() - started
        print(f"{template['name']}: {pages} pages in {seconds:.2f} s = {pages / seconds:.0f} pages/s, "
              f"{size / pages / 1024:.1f} KiB/page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    parser.add_argument("--bench", type=int, default=0, metavar="PAGES")
    args = parser.parse_args()
    translation.activate("zh-hans")
    if args.bench:
        bench(args.bench)
        return
    if not shutil.which("pdftoppm"):
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    args.out.mkdir(parents=True, exist_ok=True)
    for template in default_form_templates():
        to_png(render_forms(template, [sample()]), args.out / f"{FILES[template['kind']]}.png")
    parcels = [sample(number) for number in range(1, 4)] + [dataclasses.replace(sample(4), items=MORE_ITEMS)]
    heading = "批次 B20261207-03 · EMS · 4 个包裹"
    to_png(render_pick_list(pick_lines(parcels), heading=heading), args.out / "pick-list.png")
    to_png(render_packing_lists(parcels[:1]), args.out / "packing-list.png")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
