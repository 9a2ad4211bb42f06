"""Forms of the care screen: saved criteria, greeting rules, promotions, a care call's outcome."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.catalog.models import Product, SaleStatus
from hotline.crm.models import CareCriteria, GreetingRule, PointsReward, Promotion

LOCAL_TIME = "%Y-%m-%dT%H:%M"


class CriteriaForm(forms.ModelForm):
    """Saved care criteria: every filled field narrows the list."""

    class Meta:
        model = CareCriteria
        fields = ["name", "level", "min_spend", "max_spend", "ordered_within_days", "no_order_for_days", "province",
                  "preference", "birthdays", "schedule"]


class GreetingRuleForm(forms.ModelForm):
    """A greeting rule: whom (level, preference), how (channel) and what to say."""

    class Meta:
        model = GreetingRule
        fields = ["position", "level", "preference", "channel", "message"]
        help_texts = {"message": _("{salutation} and {name} are replaced by the customer's.")}


class PromotionForm(forms.ModelForm):
    """A promotion for a period and a target group."""

    gift = forms.ModelChoiceField(label=_("Gift"), required=False,
                                  queryset=Product.objects.filter(status=SaleStatus.ON_SALE).order_by("name"))

    class Meta:
        model = Promotion
        fields = ["name", "starts_at", "ends_at", "level", "province", "min_total", "kind", "percent", "amount",
                  "gift", "gift_quantity", "active"]
        widgets = {"starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME),
                   "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_TIME)}


class RewardForm(forms.ModelForm):
    """A gift customers may take for points at order entry."""

    product = forms.ModelChoiceField(label=_("Gift"), queryset=Product.objects.filter(status=SaleStatus.ON_SALE)
                                     .order_by("name"))

    class Meta:
        model = PointsReward
        fields = ["product", "points", "active"]


class CareCallForm(forms.Form):
    """What came of a care call."""

    outcome_note = forms.CharField(label=_("Outcome"), required=False, max_length=300)
