"""The graphs the pages draw: a cluster's cases and their contacts, and positions for every node computed
here, by generation (columns) and by parent (rows), so that the browser draws thousands of nodes at once
(ECharts with layout "none") instead of simulating forces. A force layout (networkx's spring_layout,
ECharts' own) takes seconds past a few hundred nodes; this takes milliseconds for thousands."""

from __future__ import annotations

import math
from collections import defaultdict, deque

from .chains import edges_describe, nodes_describe
from .models import Cluster, ClusterCase, Exposure, Link

COLUMN_GAP = 240  # between generations
ROW_GAP = 22
SUB_GAP = 36  # between the sub-columns of a crowded generation


def _depths(ids: list[str], edges: list[dict]) -> dict[str, int]:
    """Shortest distance from a node without a source in the graph (breadth first); nodes only in a
    cycle count from the first of them."""
    children, indegree = defaultdict(list), defaultdict(int)
    for e in edges:
        if e["source"] != e["target"]:
            children[e["source"]].append(e["target"])
            indegree[e["target"]] += 1
    depth: dict[str, int] = {}
    for seeds in ([i for i in ids if not indegree[i]], ids):
        queue = deque()
        for i in seeds:
            if i not in depth:
                depth[i] = 0
                queue.append(i)
        while queue:
            node = queue.popleft()
            for child in children[node]:
                if child not in depth:
                    depth[child] = depth[node] + 1
                    queue.append(child)
    return depth


def layout(nodes: list[dict], edges: list[dict], *, depth_key: str | None = None) -> None:
    """Set x and y on each node: a column per depth (`depth_key` of the node, else its distance from a
    source), rows ordered by the parent's row; a crowded column wraps into sub-columns."""
    if not nodes:
        return
    ids = [n["id"] for n in nodes]
    depth = {n["id"]: n[depth_key] for n in nodes} if depth_key else _depths(ids, edges)
    parent = {}
    for e in edges:
        parent.setdefault(e["target"], e["source"])
    columns = defaultdict(list)
    for i in ids:
        columns[depth[i]].append(i)
    rows_max = max(20, int(math.sqrt(len(nodes)) * 1.5))
    order: dict[str, int] = {}
    x_base = 0
    by_id = {n["id"]: n for n in nodes}
    for d in sorted(columns):
        column = sorted(columns[d], key=lambda i: (order.get(parent.get(i), -1), i))
        for rank, i in enumerate(column):
            order[i] = rank
        subs = math.ceil(len(column) / rows_max)
        rows = math.ceil(len(column) / subs)
        for rank, i in enumerate(column):
            node = by_id[i]
            node["x"] = x_base + (rank // rows) * SUB_GAP
            node["y"] = (rank % rows - rows / 2) * ROW_GAP
        x_base += (subs - 1) * SUB_GAP + COLUMN_GAP


def cluster_graph(*, user, cluster: Cluster, contacts: bool = True) -> dict:
    """The cluster's cases, links between them and, with `contacts`, the people their exposures reached,
    each node marked as a case member or a contact; masked outside the user's jurisdiction. Positions
    included. Six statements whatever the size."""
    members = set(ClusterCase.objects.filter(cluster=cluster).values_list("case__resident_id", flat=True))
    edges: dict = {}
    for a, b, evidence, grid in Link.objects.filter(infector__resident_id__in=members).values_list(
            "infector__resident_id", "infectee__resident_id", "evidence", "grid_code"):
        if b in members:
            edges.setdefault(("link", a, b, evidence, ""), (None, None, grid))
    reached = set()
    for a, b, setting, first, last, grid in Exposure.objects.filter(source_id__in=members).values_list(
            "source_id", "person_id", "setting", "first_date", "last_date", "grid_code"):
        if b in members or contacts:
            edges.setdefault(("exposure", a, b, setting, str(first)), (first, last, grid))
            reached.add(b)
    people = members | reached
    nodes = nodes_describe(user, people)
    for pk, node in nodes.items():
        node["member"] = pk in members
    out_edges = edges_describe(nodes, edges)
    ordered = sorted(nodes.values(), key=lambda n: (not n["member"], n["date"] is None, str(n["date"] or ""), n["id"]))
    layout(ordered, out_edges)
    return {"cluster": cluster.uid, "truncated": False, "nodes": ordered, "edges": out_edges}


def chain_graph(chain: dict) -> dict:
    """A chain (chains.chain_of) with positions: a column per hop, sources left."""
    for node in chain["nodes"]:
        node.setdefault("member", node["classification"] is not None)
    layout(chain["nodes"], chain["edges"], depth_key="hop")
    return chain
