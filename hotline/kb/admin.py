"""Back office for the knowledge base: the category tree is kept here (configuration); articles are
written, reviewed and published on the /kb/ screen."""

from __future__ import annotations

from django.contrib import admin

from hotline.core.admin import AuditedAdmin
from hotline.kb.models import Category


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    """Categories of questions (售后 › 退换货), in a tree; saves are audited through `do_save_object`."""

    list_display = ("name", "parent", "position")
    list_editable = ("position",)
    list_filter = ("parent",)
    search_fields = ("name",)
    fields = ("name", "parent", "position")
