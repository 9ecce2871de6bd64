from datetime import date
from uuid import UUID

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from epigrid.core.api import ERRORS, Pagination

from . import selectors, services
from .models import Tag

router = Router(tags=["residents"])


class ResidentOut(Schema):
    """Personal values masked; `POST /residents/{uid}/reveal` shows one in full, with a reason."""

    uid: UUID
    name: str
    gender: str
    birth_date: date | None
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

    @staticmethod
    def resolve_tags(obj):
        return [t.name.lower() for t in Tag if obj.tags & t.value]


class ResidentIn(Schema):
    name: str | None = None
    id_type: str | None = Field(None, description="ric (default), passport, hmt, other; or the Chinese name")
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    grid_code: str | None = Field(None, description="15-digit grid code; or give lon/lat to locate it")
    tags: list[str] | None = Field(None, description="elderly_alone, disabled, pregnant, chronic, low_income")
    notes: str | None = None


class SearchQuery(Schema):
    q: str = Field("", max_length=50, description="Name, pinyin or initials; or an exact phone number")
    within: str = Field("", pattern=r"^(\d{12}|\d{15})?$")
    tag: str = Field("", pattern=r"^(elderly_alone|disabled|pregnant|chronic|low_income)?$")


class CreateQuery(Schema):
    merge: bool = Field(False, description="If the ID number is already registered, update that record")


class LookupIn(Schema):
    id_number: str = Field(..., max_length=30)


class RevealIn(Schema):
    field: str = Field(..., description="id_number or phone")
    reason: str = Field(..., max_length=500)


class RevealOut(Schema):
    field: str
    value: str


def _given(body: Schema) -> dict:
    return body.dict(exclude_unset=True)


@router.get("/residents", response={200: list[ResidentOut], **ERRORS}, summary="Search residents")
@paginate(Pagination, page_size=50)
def residents(request, q: Query[SearchQuery]):
    tag = Tag[q.tag.upper()].value if q.tag else 0
    return selectors.residents_search(user=request.user, q=q.q, within=q.within, tag=tag)


@router.post("/residents", response={201: ResidentOut, **ERRORS}, summary="Register a resident")
def resident_create(request, body: ResidentIn, q: Query[CreateQuery]):
    return Status(201, services.resident_create(actor=request.user, data=_given(body), merge=q.merge))


@router.post("/residents/lookup", response={200: ResidentOut, **ERRORS},
             summary="Find a resident by ID number (sent in the body, never in a URL)")
def resident_lookup(request, body: LookupIn):
    return selectors.resident_by_id_number(user=request.user, id_number=body.id_number)


@router.get("/residents/{uid}", response={200: ResidentOut, **ERRORS}, summary="One resident")
def resident(request, uid: UUID):
    return selectors.resident_get(user=request.user, uid=uid)


@router.patch("/residents/{uid}", response={200: ResidentOut, **ERRORS}, summary="Change a resident")
def resident_update(request, uid: UUID, body: ResidentIn):
    return services.resident_update(actor=request.user, uid=uid, data=_given(body))


@router.post("/residents/{uid}/reveal", response={200: RevealOut, **ERRORS},
             summary="Show an ID number or phone in full (audited, with a reason)")
def resident_reveal(request, uid: UUID, body: RevealIn):
    value = services.resident_reveal(actor=request.user, uid=uid, field=body.field, reason=body.reason)
    return {"field": body.field, "value": value}
