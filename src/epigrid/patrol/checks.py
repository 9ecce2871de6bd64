"""Input checks shared by the patrol and incident services: times, positions, text."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.core.errors import FieldError, ServiceError
from epigrid.core.geo import CRS_CHOICES, in_china, to_wgs84
from epigrid.core.validators import text_problem

CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of ours a phone's clock may be


def check_time(value: datetime | None, field: str, errors: list[FieldError], *, not_before: datetime | None = None):
    if value is None:
        return
    if timezone.is_naive(value):
        errors.append(FieldError(field, _("must include a time zone")))
        return
    now = timezone.now()
    if value > now + CLOCK_SKEW:
        errors.append(FieldError(field, _("is in the future")))
    elif not_before is not None and value < not_before:
        errors.append(FieldError(field, _("is too far in the past")))


def check_position(lon, lat, crs: str, errors: list[FieldError], prefix: str = "") -> tuple[float, float] | None:
    """The position in WGS-84, or None with the reason added to `errors`."""
    if crs not in CRS_CHOICES:
        errors.append(FieldError("crs", _("must be one of %(c)s") % {"c": ", ".join(CRS_CHOICES)}))
        return None
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        errors.append(FieldError(f"{prefix}lon", _("must be a number")))
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not bool(in_china(lon, lat)):
        errors.append(FieldError(f"{prefix}lon", _("position outside China (expected longitude, latitude in degrees)")))
        return None
    wlon, wlat = (float(v) for v in to_wgs84(lon, lat, crs))
    return round(wlon, 7), round(wlat, 7)


def clean_text(value, field: str, errors: list[FieldError], *, max_length: int, required: bool = True) -> str:
    value = value.strip() if isinstance(value, str) else value
    if problem := text_problem(value, max_length=max_length, required=required):
        errors.append(FieldError(field, problem))
        return ""
    return value or ""


def raise_if(errors: list[FieldError], detail=None) -> None:
    if errors:
        raise ServiceError(detail or _("Invalid request."), errors)
