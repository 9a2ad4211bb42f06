"""Courier configuration written from the back office: coverage rows (by hand or imported) and the keys
a courier signs its pushed events with."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.permissions import Perm
from hotline.logistics.actions.common import require
from hotline.logistics.choice import city_key, place_key
from hotline.logistics.models import Courier, Coverage, FeeRate
from hotline.logistics.places import MUNICIPALITY_CODES, gazetteer

MAX_DELIVERY_DAYS = 60
MASK = "***"


def area_key(province: str, city: str, district: str) -> tuple[str, str, str]:
    """A coverage row's place as the courier choice compares it: `广东省/深圳市` is `广东/深圳`."""
    return place_key(province), city_key(city) if city else "", district.strip()


def find_coverage(courier: Courier, province: str, city: str, district: str) -> Coverage | None:
    """The courier's row for this place, however its names were spelt (long or short)."""
    key = area_key(province, city, district)
    rows = Coverage.objects.filter(courier=courier, province__startswith=key[0])
    return next((row for row in rows if area_key(row.province, row.city, row.district) == key), None)


def coverage_errors(coverage: Coverage) -> dict[str, list[str]]:
    """What is wrong with a coverage row, by model field: unknown places, a zone without a price."""
    errors: dict[str, list[str]] = {}
    province, city, district = coverage.province.strip(), coverage.city.strip(), coverage.district.strip()
    places = gazetteer()
    code = places.province_code(province) if province else None
    if not province:
        errors["province"] = [_("Enter the province.")]
    elif code is None:
        errors["province"] = [_("“%(name)s” is not a province.") % {"name": province}]
    elif city and not places.knows_city(code, province, city):
        errors["city"] = [_("“%(name)s” is not a city of %(province)s.") % {"name": city, "province": province}]
    elif district and not city and code not in MUNICIPALITY_CODES:
        errors["city"] = [_("A district needs its city.")]
    elif district and not places.knows_district(code, city, district):
        errors["district"] = [_("“%(name)s” is not a district of %(place)s.")
                              % {"name": district, "place": city or province}]
    if coverage.delivery_days is not None and coverage.delivery_days > MAX_DELIVERY_DAYS:
        errors["delivery_days"] = [_("At most %(days)d days.") % {"days": MAX_DELIVERY_DAYS}]
    if coverage.courier_id and coverage.zone and not FeeRate.objects.filter(
            courier_id=coverage.courier_id, zone=coverage.zone).exists():
        errors["zone"] = [_("%(courier)s has no fee rate for zone “%(zone)s”; add the zone's price first.")
                          % {"courier": coverage.courier, "zone": coverage.zone}]
    return errors


@transaction.atomic
def do_save_coverage(coverage: Coverage, *, actor: Any, action: str = "") -> Coverage:
    """Validate and save one coverage row (new or changed), with its before/after in the audit log.

    Refused: places cpca does not know (an order's address could never match them), a district without
    its city, a zone the courier has no fee rate for, and a second row for a place the courier covers."""
    require(actor, Perm.MANAGE_COURIERS)
    coverage.province, coverage.city = coverage.province.strip(), coverage.city.strip()
    coverage.district, coverage.zone = coverage.district.strip(), coverage.zone.strip()
    errors = coverage_errors(coverage)
    if errors:
        raise ValidationError(errors)
    twin = find_coverage(coverage.courier, coverage.province, coverage.city, coverage.district)
    if twin is not None and twin.pk != coverage.pk:
        raise ValidationError(_("%(courier)s already covers %(place)s.")
                              % {"courier": coverage.courier, "place": f"{twin.province}{twin.city}{twin.district}"})
    before = None
    if coverage.pk is not None:
        old = Coverage.objects.filter(pk=coverage.pk).first()
        before = snapshot(old) if old is not None else None
    coverage.full_clean()
    coverage.save()
    record(action or ("change_coverage" if before else "add_coverage"), coverage, actor=actor, before=before,
           after=snapshot(coverage))
    return coverage


def _masked(courier: Courier) -> dict[str, Any]:
    data = snapshot(courier)
    data["api_secret"] = MASK if courier.api_secret else ""
    return data


@transaction.atomic
def do_issue_courier_keys(courier: Courier, *, actor: Any) -> tuple[str, str]:
    """Give the courier a new push API key and secret (the old ones stop working at once) and return both.

    The secret is shown once, to the person who issued it, and never written to the audit log."""
    require(actor, Perm.MANAGE_COURIERS)
    courier = Courier.objects.select_for_update().get(pk=courier.pk)
    before = _masked(courier)
    key, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    courier.api_key, courier.api_secret = key, secret
    courier.save(update_fields=["api_key", "api_secret"])
    record("issue_courier_keys", courier, actor=actor, before=before, after=_masked(courier))
    return key, secret


@transaction.atomic
def do_save_courier(courier: Courier, *, actor: Any) -> Courier:
    """Validate and save a courier's terms from the back office, audited with its secret masked."""
    require(actor, Perm.MANAGE_COURIERS)
    old = Courier.objects.filter(pk=courier.pk).first() if courier.pk is not None else None
    before = _masked(old) if old is not None else None
    courier.full_clean()
    courier.save()
    record("change" if before else "add", courier, actor=actor, before=before, after=_masked(courier))
    return courier


@transaction.atomic
def do_delete_courier(courier: Courier, *, actor: Any) -> None:
    """Delete a courier that never carried a parcel (shipments protect it), audited with its secret masked."""
    require(actor, Perm.MANAGE_COURIERS)
    record("delete", courier, actor=actor, before=_masked(courier), after=None)
    courier.delete()
