"""Arrival self-registration (返京/来京人员登记): the public link of a community, the registration itself, and
the policy that decides whether a home observation starts."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epigrid.accounts.roles import RESIDENTS_EDIT
from epigrid.core import places
from epigrid.core.audit import audit_record
from epigrid.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ServiceError
from epigrid.core.principals import PUBLIC, SYSTEM, Actor, actor_user, service
from epigrid.core.ratelimit import rate_limit
from epigrid.core.scoping import ancestor_codes, code_prefix, in_scope
from epigrid.core.validators import text_problem
from epigrid.regions.locate import locate
from epigrid.regions.models import Division, Grid

from .models import Arrival, ArrivalPolicy, Source, Transport
from .services import resident_protect, resident_register
from .validation import clean_resident

CONSENT_VERSION = "2026-11"


def arrival_policy(community_code: str) -> tuple[set[str], bool, int]:
    """(risk origins, observe everyone, days) from the nearest policy at or above the community."""
    candidates = [*ancestor_codes(community_code), community_code]
    policies = {p.node_code: p for p in ArrivalPolicy.objects.filter(node_code__in=candidates)}
    for code in sorted(policies, key=lambda c: len(code_prefix(c)), reverse=True):
        p = policies[code]
        return p.origins, p.observe_all, p.days
    return default_risk_codes(), False, settings.OBSERVATION_DAYS


def default_risk_codes() -> set[str]:
    """The settings' default risk origins as codes: codes are taken as they are, names normalised."""
    out = set()
    for item in settings.ARRIVAL_RISK_ORIGINS:
        place = places.normalise(item) if not item.isdigit() else None
        code = place.code if place else item
        if code in places.names():
            out.add(code)
    return out


def origin_place(data: dict, errors: list) -> places.Place:
    """The origin as codes: the province/city picked from the lists when given, else what was typed,
    normalised. An origin that cannot be recognised asks the person to pick it from the lists."""
    names = places.names()
    province = str(data.get("origin_province_code") or "").strip()
    city = str(data.get("origin_city_code") or "").strip()
    if province or city:
        if province not in names or not province.endswith("0000"):
            errors.append(FieldError("origin_province_code", _("please pick a province from the list")))
            return places.Place()
        if city and (city not in names or not city.startswith(province[:2]) or city.endswith("0000")):
            errors.append(FieldError("origin_city_code", _("please pick a city of that province from the list")))
            return places.Place()
        return places.Place(province=province, city=city)
    place = places.normalise(str(data.get("origin_province") or ""), str(data.get("origin_city") or ""))
    if not place.known:
        errors.append(FieldError("origin_province_code",
                                 _("we could not recognise this place: please pick the province and city "
                                   "from the lists")))
    return place


@service
def arrival_policy_set(*, actor: Actor, node_code: str, risk_origins: list[str], observe_all: bool,
                       days: int) -> ArrivalPolicy:
    if not in_scope(actor, RESIDENTS_EDIT, node_code):
        raise NotFound(_("No such division."))
    if not Division.objects.filter(code=node_code).exists():
        raise NotFound(_("No such division."))
    errors = []
    if not 1 <= days <= 60:
        errors.append(FieldError("days", _("between 1 and 60")))
    names = places.names()
    codes = sorted({str(o).strip() for o in risk_origins})
    for code in codes:
        # Only province or city codes: a policy is picked from the tree of provinces and cities.
        if code not in names or not code.endswith("00"):
            errors.append(FieldError("risk_origins", _("%(code)s is not a province or city code") % {"code": code}))
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    with transaction.atomic():
        policy, _created = ArrivalPolicy.objects.update_or_create(node_code=node_code, defaults={
            "risk_origins": "\n".join(codes), "observe_all": observe_all, "days": days,
            "updated_at": timezone.now()})
        audit_record(actor=actor, action="arrival_policy.set", object_type="arrival_policy", object_id=node_code,
                     jurisdiction_code=node_code, changes={"risk_origins": codes, "observe_all": observe_all,
                                                           "days": days})
    return policy


def _clean_arrival(data: dict, today: datetime.date, errors: list) -> dict:
    from epigrid.health.services import clean_symptoms, clean_temperature

    out = {}
    picked = bool(data.get("origin_province_code"))  # picked from the lists: the typed text is optional
    for field, limit, required in (("origin_province", 30, not picked), ("origin_city", 30, not picked),
                                   ("transport_number", 30, False), ("places_14d", 300, False)):
        value = data.get(field)
        value = value.strip() if isinstance(value, str) else value
        if problem := text_problem(value, max_length=limit, required=required):
            errors.append(FieldError(field, problem))
        else:
            out[field] = value or ""
    try:
        arrived = datetime.date.fromisoformat(str(data.get("arrival_date") or ""))
    except ValueError:
        errors.append(FieldError("arrival_date", _("a date such as %(d)s") % {"d": today.isoformat()}))
    else:
        if arrived > today:
            errors.append(FieldError("arrival_date", _("cannot be in the future")))
        elif arrived < today - datetime.timedelta(days=60):
            errors.append(FieldError("arrival_date", _("more than 60 days ago")))
        out["arrival_date"] = arrived
    if data.get("transport") not in Transport.values:
        errors.append(FieldError("transport", _("one of %(t)s") % {"t": ", ".join(Transport.values)}))
    else:
        out["transport"] = data["transport"]
    for field, cleaner in (("symptoms", clean_symptoms), ("temperature", clean_temperature)):
        if field == "temperature" and data.get(field) in (None, ""):
            out[field] = None
            continue
        try:
            out[field] = cleaner(data.get(field))
        except ServiceError as exc:
            errors.extend(exc.errors)
    if data.get("consent") not in (True, "on", "true", "1", 1):
        errors.append(FieldError("consent", _("please read the notice and agree to it")))
    return out


@service
def arrival_register(*, actor: Actor, community_code: str, data: dict, client: str | None,
                     today: datetime.date | None = None) -> Arrival:
    """Register an arrival from a community's public page (PUBLIC; SYSTEM for the demo). The person is
    stored as a new record in this community and nothing else is changed: when the ID number is already
    registered in the city, the new record waits beside the existing one for that record's
    jurisdiction to decide (services.resident_register). Starts a home observation when the policy says
    so; staff of the community review the arrival.

    `checkin_token` (not stored) is the signed token of the person's own check-in link when an observation
    started: always the observation of the record this registration created, never one of an existing
    record, whoever holds the ID number (so the answer does not tell whether it is known). The link is
    bound to that record: if staff merge it into an existing person, the link stops working rather
    than follow the observation into that person's record; staff then follow the person up."""
    from epigrid.health.models import Reason
    from epigrid.health.services import checkin_link_token, observation_start

    if actor is not PUBLIC and actor is not SYSTEM:
        raise PermissionDenied(_("Arrivals are registered through the community's public page."))
    rate_limit("arrival", settings.ARRIVAL_RATE_PER_HOUR, client)
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    arrival = _clean_arrival(data, today, errors)
    place = origin_place(data, errors)
    if place.known and "origin_province" in arrival and not arrival["origin_province"]:
        arrival["origin_province"] = places.names()[place.province]
        arrival["origin_city"] = places.names().get(place.city, "")
    person = {k: data.get(k) for k in ("name", "id_type", "id_number", "phone", "address")}
    if not person.get("phone"):
        errors.append(FieldError("phone", _("required")))
    values, person_errors = clean_resident(person)
    errors.extend(person_errors)
    grid_code = _grid_in_community(community_code, data.get("lon"), data.get("lat"))
    if errors:
        raise ServiceError(_("Please correct the marked fields."), errors)
    with transaction.atomic():
        resident = resident_register(actor=actor, stored=resident_protect(values), grid_code=grid_code,
                                     source=Source.ARRIVAL, fields=values)
        origins, observe_all, days = arrival_policy(community_code)
        from_risk = any(places.covers(code, place) for code in origins)
        risky = observe_all or from_risk
        record = Arrival.objects.create(resident=resident, grid_code=resident.grid_code,
                                        community_code=community_code, consent_at=timezone.now(),
                                        consent_version=CONSENT_VERSION, origin_province_code=place.province,
                                        origin_city_code=place.city, origin_district_code=place.district,
                                        from_risk_origin=from_risk, **arrival)
        record.checkin_token = None
        # An arrival whose observation period is already over needs none. The policy starts it, not the
        # visitor: audited as the system.
        if risky and arrival["arrival_date"] + datetime.timedelta(days=days) >= today:
            observation = observation_start(actor=SYSTEM, resident=resident, kind="home", reason=Reason.ARRIVAL,
                                            start=arrival["arrival_date"], days=days)
            record.observation_started = True
            record.save(update_fields=["observation_started"])
            record.checkin_token = checkin_link_token(actor=SYSTEM, uid=observation.uid, bound=True)
        audit_record(actor=actor, action="arrival.register", object_type="arrival", object_id=record.uid,
                     jurisdiction_code=record.grid_code,
                     changes={"fields": sorted(arrival) + sorted(k for k, v in person.items() if v),
                              "observation_started": record.observation_started})
    return record


def _grid_in_community(community_code: str, lon, lat) -> str:
    """The grid at the device's position if it lies in the community, else the community's first grid
    (staff move the person when they review the arrival)."""
    try:
        code = locate(float(lon), float(lat)) if lon not in (None, "") and lat not in (None, "") else None
    except (TypeError, ValueError):
        code = None
    if code and code.startswith(community_code):
        return code
    first = Grid.objects.filter(community__code=community_code).order_by("code").values_list("code", flat=True).first()
    if first is None:
        raise NotFound(_("This community has no grids yet."))
    return first


@service
def arrival_review(*, actor: Actor, uid) -> Arrival:
    arrival = Arrival.objects.restrict(actor, RESIDENTS_EDIT).filter(uid=uid).first()
    if arrival is None:
        raise NotFound(_("No such arrival."))
    if arrival.reviewed_at is not None:
        raise Conflict(_("Already reviewed."))
    with transaction.atomic():
        arrival.reviewed_at, arrival.reviewed_by = timezone.now(), actor_user(actor)
        arrival.save(update_fields=["reviewed_at", "reviewed_by"])
        audit_record(actor=actor, action="arrival.review", object_type="arrival", object_id=arrival.uid,
                     jurisdiction_code=arrival.grid_code)
    return arrival
