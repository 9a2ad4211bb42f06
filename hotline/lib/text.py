"""Model text checks that Django leaves to forms."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


def check_text_lengths(instance: models.Model) -> None:
    """Refuse TextFields longer than their max_length. Django only uses a TextField's max_length to size
    form widgets, so without this a model's `full_clean` (and so every action) accepts any length."""
    errors: dict[str, str] = {}
    for field in instance._meta.concrete_fields:
        limit = field.max_length if isinstance(field, models.TextField) else None
        if limit is not None and len(getattr(instance, field.attname) or "") > limit:
            errors[field.name] = _("At most %(max)d characters.") % {"max": limit}
    if errors:
        raise ValidationError(errors)
