"""The article form of the /kb/ screen, and the report's period. Validation of the article itself is the
action's (`do_save_article`); the form only turns the posted text into values."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.catalog.models import Product
from hotline.kb.models import Article, Category


class ArticleForm(forms.Form):
    """Question, answer (HTML, sanitised by the action), category, products, tags and validity."""

    question = forms.CharField(label=_("Question"), max_length=300, required=False)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 10}), required=False,
                             max_length=Article._meta.get_field("answer").max_length,
                             help_text=_("Paragraphs, lists, bold text, tables and links are kept; "
                                         "anything else is removed when saved."))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
    products = forms.ModelMultipleChoiceField(label=_("Products"), queryset=Product.objects.all(), required=False,
                                              widget=forms.SelectMultiple(attrs={"size": 6}))
    tags = forms.CharField(label=_("Tags"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("Valid from"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def of(cls, article: Article) -> ArticleForm:
        return cls(initial={"question": article.question, "answer": article.answer, "category": article.category,
                            "products": list(article.products.all()), "tags": article.tags,
                            "valid_from": article.valid_from, "valid_to": article.valid_to})


class PeriodForm(forms.Form):
    """From and to (inclusive); the last seven days when not given."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - datetime.timedelta(days=6)
        if data["start"] > data["end"]:
            raise forms.ValidationError({"end": _("The end of the period cannot be before its start.")})
        if (data["end"] - data["start"]).days > 366:
            raise forms.ValidationError({"start": _("Choose a period of at most a year.")})
        return data
