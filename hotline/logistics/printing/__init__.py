"""Printed documents of the logistics workbench: shipping forms and labels, pick lists, packing lists.

Pure rendering: the functions take plain data (`FormData`, `PickLine`) and a template, and return PDF bytes;
`data.py` builds that data from shipments and batches and is the only module that reads the database.
Nothing here writes to it: logging a print is `logistics.actions`' job."""

from hotline.logistics.printing.data import (
    FormData,
    ParcelItem,
    PickLine,
    batch_parcels,
    batch_pick_lines,
    form_data,
    pick_lines,
)
from hotline.logistics.printing.defaults import default_form_templates
from hotline.logistics.printing.fonts import FontMissing
from hotline.logistics.printing.forms import render_forms, write_forms
from hotline.logistics.printing.lists import render_packing_lists, render_pick_list, write_packing_lists
from hotline.logistics.printing.template import FIELDS, TYPES, validate_template

__all__ = [
    "FIELDS",
    "TYPES",
    "FontMissing",
    "FormData",
    "ParcelItem",
    "PickLine",
    "batch_parcels",
    "batch_pick_lines",
    "default_form_templates",
    "form_data",
    "pick_lines",
    "render_forms",
    "render_packing_lists",
    "render_pick_list",
    "validate_template",
    "write_forms",
    "write_packing_lists",
]
