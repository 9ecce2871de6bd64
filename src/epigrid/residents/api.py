from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from epigrid.accounts.roles import RESIDENTS_VIEW
from epigrid.core.api import ERRORS, ErrorOut, Pagination
from epigrid.core.errors import FieldError, ServiceError
from epigrid.core.reveal import Purpose

from . import arrivals, selectors, services
from .models import Arrival, Tag

router = Router(tags=["residents"])


class ResidentOut(Schema):
    """Personal values masked; `POST /residents/{uid}/reveal` shows one in full, with a reason. The age,
    not the birth date: the date is eight of the ID number's hidden digits."""

    uid: UUID
    name: str
    gender: str
    age: int | None
    id_type: str
    id_number_masked: str
    phone_masked: str
    address: str
    grid_code: str
    lon: float | None
    lat: float | None
    tags: list[str]
    notes: str
    source: str
    household_id: int | None

    @staticmethod
    def resolve_tags(obj):
        return [t.name.lower() for t in Tag if obj.tags & t.value]


# What the service requires, said in the schema too (text with at least one visible character), so that a
# client generated from it does not send what will be refused.
VISIBLE = r"\S"


class ResidentPatch(Schema):
    """A change: every field may be left out; a name or an ID number, when given, may not be empty."""

    name: str = Field(None, min_length=1, max_length=50, pattern=VISIBLE)
    id_type: str | None = Field(None, description="ric (default), passport, hmt, other; or the Chinese name")
    id_number: str = Field(None, min_length=1, max_length=30, pattern=VISIBLE)
    phone: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    grid_code: str | None = Field(None, description="15-digit grid code; or give lon/lat to locate it")
    tags: list[str] | None = Field(None, description="elderly_alone, disabled, pregnant, chronic, low_income")
    notes: str | None = None
    household: str | None = Field(None, max_length=200, description="Household address: members share one")


class ResidentIn(ResidentPatch):
    name: str = Field(..., min_length=1, max_length=50, pattern=VISIBLE)
    id_number: str = Field(..., min_length=1, max_length=30, pattern=VISIBLE)


class SearchQuery(Schema):
    q: str = Field("", max_length=50, description="Name, pinyin or initials. ID numbers and phones never go in "
                                                  "a URL: look them up with POST /residents/lookup")
    within: str = Field("", pattern=r"^(\d{12}|\d{15})?$")
    tag: str = Field("", pattern=r"^(elderly_alone|disabled|pregnant|chronic|low_income)?$")


class CreateQuery(Schema):
    merge: bool = Field(False, description="If the ID number is already registered, update that record")


class LookupIn(Schema):
    id_number: str | None = Field(None, max_length=30)
    phone: str | None = Field(None, max_length=30)


class RevealIn(Schema):
    field: Literal["id_number", "phone"]
    purpose: Literal[tuple(Purpose.values)] = Field(..., description="Why: " + ", ".join(Purpose.values))
    reason: str = Field(..., min_length=4, max_length=500, pattern=r"(\S[\s\S]*){4}",
                        description="In a few words (at least 4 characters), why")


class RevealOut(Schema):
    field: str
    value: str


def _given(body: Schema) -> dict:
    return body.dict(exclude_unset=True)


@router.get("/residents", response={200: list[ResidentOut], **ERRORS}, summary="Search residents")
@paginate(Pagination, page_size=50)
def residents(request, q: Query[SearchQuery]):
    if selectors.personal_value(q.q) is not None:
        raise ServiceError(_("ID numbers and phones are looked up with POST /residents/lookup, not searched."),
                           [FieldError("q", _("a name, pinyin or initials"))])
    tag = Tag[q.tag.upper()].value if q.tag else 0
    return selectors.residents_search(user=request.user, q=q.q, within=q.within, tag=tag)


@router.post("/residents", response={201: ResidentOut, **ERRORS}, summary="Register a resident")
def resident_create(request, body: ResidentIn, q: Query[CreateQuery]):
    return Status(201, services.resident_create(actor=request.user, data=_given(body), merge=q.merge))


@router.post("/residents/lookup", response={200: list[ResidentOut], **ERRORS, 429: ErrorOut},
             summary="Find residents by exact ID number or phone (in the body, never in a URL; audited)")
def resident_lookup(request, body: LookupIn):
    if bool(body.id_number) == bool(body.phone):
        raise ServiceError(_("Give an ID number or a phone."), [FieldError("id_number", _("one of id_number, phone"))])
    return list(services.residents_lookup(actor=request.user, value=body.id_number or body.phone)[:20])


@router.get("/residents/{uid}", response={200: ResidentOut, **ERRORS}, summary="One resident")
def resident(request, uid: UUID):
    return selectors.resident_get(user=request.user, uid=uid)


@router.patch("/residents/{uid}", response={200: ResidentOut, **ERRORS}, summary="Change a resident")
def resident_update(request, uid: UUID, body: ResidentPatch):
    return services.resident_update(actor=request.user, uid=uid, data=_given(body))


class AnonymiseIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500, pattern=VISIBLE)


@router.post("/residents/{uid}/anonymise", response={204: None, **ERRORS},
             summary="Remove a person's identifying data now (audited, with a reason)")
def resident_anonymise(request, uid: UUID, body: AnonymiseIn):
    services.resident_anonymise(actor=request.user, uid=uid, reason=body.reason)
    return Status(204, None)


@router.post("/residents/{uid}/reveal", response={200: RevealOut, **ERRORS},
             summary="Show an ID number or phone in full (audited, with a reason)")
def resident_reveal(request, uid: UUID, body: RevealIn):
    value = services.resident_reveal(actor=request.user, uid=uid, field=body.field, purpose=body.purpose,
                                     reason=body.reason)
    return {"field": body.field, "value": value}


class ArrivalOut(Schema):
    uid: UUID
    resident_uid: UUID = Field(..., alias="resident.uid")
    resident_name: str = Field(..., alias="resident.name")
    grid_code: str
    origin_province: str
    origin_city: str
    origin_province_code: str
    origin_city_code: str
    origin_district_code: str
    from_risk_origin: bool
    arrival_date: date
    transport: str
    transport_number: str
    places_14d: str
    temperature: float | None
    observation_started: bool
    reviewed: bool

    @staticmethod
    def resolve_reviewed(obj):
        return obj.reviewed_at is not None


class ArrivalQuery(Schema):
    pending: bool = Field(False, description="Only those not yet reviewed")
    risk: bool = Field(False, description="Only those from a risk origin")


@router.get("/arrivals", response={200: list[ArrivalOut], **ERRORS}, summary="Arrivals in your jurisdiction")
@paginate(Pagination, page_size=50)
def arrival_list(request, q: Query[ArrivalQuery]):
    qs = Arrival.objects.restrict(request.user, RESIDENTS_VIEW).select_related("resident")
    qs = qs.filter(from_risk_origin=True) if q.risk else qs
    return qs.filter(reviewed_at__isnull=True) if q.pending else qs


@router.post("/arrivals/{uid}/review", response={200: ArrivalOut, **ERRORS, 409: ErrorOut}, summary="Mark reviewed")
def arrival_review(request, uid: UUID):
    arrivals.arrival_review(actor=request.user, uid=uid)
    return Arrival.objects.select_related("resident").get(uid=uid)


class PolicyIn(Schema):
    risk_origins: list[str] = Field(default_factory=list, max_length=200,
                                    description="GB/T 2260 codes of provinces or cities (420000 covers all of "
                                                "湖北省, 420100 is 武汉市)")
    observe_all: bool = False
    days: int = Field(14, ge=1, le=60)


class PolicyOut(Schema):
    node_code: str
    risk_origins: list[str]
    risk_origin_names: list[str]
    observe_all: bool
    days: int

    @staticmethod
    def resolve_risk_origins(obj):
        return sorted(obj.origins)

    @staticmethod
    def resolve_risk_origin_names(obj):
        from epigrid.core.places import names

        return [names().get(code, code) for code in sorted(obj.origins)]


@router.put("/arrival-policies/{code}", response={200: PolicyOut, **ERRORS},
            summary="Set who starts home observation on arrival, for a division and below")
def arrival_policy_set(request, code: str, body: PolicyIn):
    return arrivals.arrival_policy_set(actor=request.user, node_code=code, risk_origins=body.risk_origins,
                                       observe_all=body.observe_all, days=body.days)


class MatchOut(Schema):
    """A record registered elsewhere (by the public or another jurisdiction) with the ID number of a
    record in your jurisdiction: yours to decide. The other record's phone is masked."""

    uid: UUID
    existing_uid: UUID = Field(..., alias="existing.uid")
    existing_name: str = Field(..., alias="existing.name")
    grid_code: str
    record_name: str = Field(..., alias="record.name")
    record_phone_masked: str = Field(..., alias="record.phone_masked")
    record_address: str = Field(..., alias="record.address")
    to_grid_code: str
    source: str
    created_at: datetime


class AcceptIn(Schema):
    move: bool = Field(..., description="true: the person lives at the other record's place now (your record "
                                        "moves there); false: your record stays where it is")


@router.get("/resident-matches", response={200: list[MatchOut], **ERRORS},
            summary="Records of your residents registered elsewhere, waiting for your decision")
@paginate(Pagination, page_size=50)
def matches(request):
    return selectors.matches_pending(user=request.user)


@router.post("/resident-matches/{uid}/accept", response={200: ResidentOut, **ERRORS, 409: ErrorOut},
             summary="The same person: merge the other record into yours (and move it there, or not)")
def match_accept(request, uid: UUID, body: AcceptIn):
    return services.resident_match_accept(actor=request.user, uid=uid, move=body.move)


@router.post("/resident-matches/{uid}/decline", response={204: None, **ERRORS, 409: ErrorOut},
             summary="Not the same person, or not moving: both records stay")
def match_decline(request, uid: UUID):
    services.resident_match_decline(actor=request.user, uid=uid)
    return Status(204, None)


# The bulk import's endpoints, kept in their own module, join the app's router.
from .import_api import router as import_router  # noqa: E402

router.add_router("", import_router)
