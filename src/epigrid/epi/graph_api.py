"""The transmission graph's API: a person's chain, clusters and their graph, and the staff's decisions on
clusters. Its `router` joins the app's own (epi/api.py). Everything is scoped: a person or a cluster
outside the caller's jurisdiction answers 404, people outside it appear masked in a graph."""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import JsonResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from epigrid.core.api import ERRORS, WRITE_ERRORS, Pagination

from . import chains, clusters
from .graph_layout import chain_graph, cluster_graph

router = Router(tags=["chains and clusters"])


class NodeOut(Schema):
    id: str = Field(..., description="The node's id in this answer (p<person uid>, or x<n> when masked)")
    person: UUID | None = Field(None, description="The person's uid; null outside your jurisdiction")
    name: str | None
    masked: bool = Field(..., description="Outside your jurisdiction: no personal field is given")
    label: str
    case: UUID | None = Field(None, description="The person's latest case")
    classification: str | None
    contact_degree: int | None = Field(None, description="1 close contact, 2 secondary contact")
    generation: int | None
    no_known_source: bool
    member: bool = Field(..., description="A case of the chain or cluster (else a contact)")
    hop: int = Field(..., description="Hops from the person asked for: negative towards the sources")
    date: dt.date | None = Field(None, description="The case's onset date, else its report date")
    x: float
    y: float


class EdgeOut(Schema):
    source: str
    target: str
    kind: Literal["exposure", "link"]
    setting: str | None
    evidence: str | None
    first_date: dt.date | None
    last_date: dt.date | None


class ChainOut(Schema):
    person: UUID
    up: int
    down: int
    truncated: bool = Field(..., description=f"Cut at {chains.NODES_MAX} people")
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class ChainQuery(Schema):
    up: int = Field(3, ge=0, le=chains.HOPS_MAX, description="Hops towards the sources")
    down: int = Field(3, ge=0, le=chains.HOPS_MAX, description="Hops towards those exposed or infected")


class ClusterOut(Schema):
    uid: UUID
    name: str
    status: str
    setting: str
    grid_code: str
    first_date: dt.date
    last_date: dt.date
    case_count: int
    created_at: dt.datetime
    decided_at: dt.datetime | None


class ClusterCaseOut(Schema):
    case: UUID | None
    number: str | None
    person: UUID | None
    name: str | None
    masked: bool
    classification: str
    date: dt.date
    generation: int | None


class ClusterContactOut(Schema):
    person: UUID | None
    name: str | None
    masked: bool
    degree: int | None
    status: str | None
    last_exposure: dt.date | None


class DayOut(Schema):
    date: dt.date
    cases: int


class GrowthOut(Schema):
    last_7_days: int = Field(..., description="Cases reported in the last 7 days, today included")
    previous_7_days: int = Field(..., description="Cases reported in the 7 days before")
    as_of: dt.date


class ClusterDetailOut(ClusterOut):
    cases: list[ClusterCaseOut]
    contacts: list[ClusterContactOut] = Field(..., description=f"The first {clusters.CONTACTS_SHOWN}")
    contacts_count: int
    timeline: list[DayOut]
    growth: GrowthOut


class ClusterGraphOut(Schema):
    cluster: UUID
    truncated: bool
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class ClusterFilter(Schema):
    status: Literal["", "proposed", "confirmed", "dismissed"] = ""
    within: str = Field("", pattern=r"^(\d{12}|\d{15})?$")


class GraphQuery(Schema):
    contacts: bool = Field(True, description="Include the contacts the cluster's cases exposed")


class ConfirmIn(Schema):
    name: str = Field(..., max_length=clusters.NAME_MAX)


class DismissIn(Schema):
    reason: str = Field(..., max_length=500)


class RenameIn(Schema):
    name: str = Field(..., max_length=clusters.NAME_MAX)


def _detail(request, cluster):
    detail = clusters.cluster_detail(user=request.user, cluster=cluster)
    out = ClusterOut.from_orm(cluster).model_dump()
    out.update({k: v for k, v in detail.items() if k != "cluster"})
    return out


@router.get("/chains/{person}", response={200: ChainOut, **ERRORS}, url_name="chain_of",
            summary="A person's transmission chain, N hops up (sources) and down (those exposed)")
def chain_of(request, person: UUID, q: Query[ChainQuery]):
    return chain_graph(chains.chain_of(user=request.user, person_uid=person, up=q.up, down=q.down))


@router.get("/clusters", response={200: list[ClusterOut], **ERRORS}, url_name="clusters_list",
            summary="Clusters in your jurisdiction")
@paginate(Pagination, page_size=50)
def clusters_list(request, filters: Query[ClusterFilter]):
    return clusters.clusters_list(user=request.user, **filters.dict())


@router.get("/clusters/{uid}", response={200: ClusterDetailOut, **ERRORS}, url_name="cluster_detail",
            summary="A cluster: its cases, contacts, timeline and growth")
def cluster_detail(request, uid: UUID):
    return _detail(request, clusters.cluster_get(user=request.user, uid=uid))


@router.get("/clusters/{uid}/graph", response={200: ClusterGraphOut, **ERRORS}, url_name="cluster_graph",
            summary="A cluster's graph: cases, links, exposures and contacts, with positions")
def cluster_graph_get(request, uid: UUID, q: Query[GraphQuery]):
    cluster = clusters.cluster_get(user=request.user, uid=uid)
    # Thousands of nodes: written straight out (the shape is ClusterGraphOut's, tests/epi check it), since
    # validating each node again would take longer than reading the whole graph.
    return JsonResponse(cluster_graph(user=request.user, cluster=cluster, contacts=q.contacts),
                        json_dumps_params={"ensure_ascii": False})


@router.post("/clusters/{uid}/confirm", response={200: ClusterDetailOut, **WRITE_ERRORS},
             url_name="cluster_confirm", summary="Confirm a proposed cluster under a name")
def cluster_confirm(request, uid: UUID, body: ConfirmIn):
    return _detail(request, clusters.cluster_confirm(actor=request.user, uid=uid, name=body.name))


@router.post("/clusters/{uid}/dismiss", response={200: ClusterDetailOut, **WRITE_ERRORS},
             url_name="cluster_dismiss", summary="Dismiss a cluster, with the reason")
def cluster_dismiss(request, uid: UUID, body: DismissIn):
    return _detail(request, clusters.cluster_dismiss(actor=request.user, uid=uid, reason=body.reason))


@router.post("/clusters/{uid}/rename", response={200: ClusterDetailOut, **WRITE_ERRORS},
             url_name="cluster_rename", summary="Rename a cluster")
def cluster_rename(request, uid: UUID, body: RenameIn):
    return _detail(request, clusters.cluster_rename(actor=request.user, uid=uid, name=body.name))
