"""Transmission chains: scoped reads of the graph of people, and the city's chains recomputed at once.

The graph's nodes are persons (residents); an Exposure is an edge source -> person, a Link an edge
infector's person -> infectee's person. `chain_of` walks it hop by hop from one person, each hop one
indexed statement per direction (exposure_source / exposure_person, link_once / link_infectee, case_person),
so a chain of 3 hops each way costs a fixed handful of statements whatever the size of the city.
`chains_recompute` reads the whole city's edges in one pass each and keeps, on every case, its chain
(connected component), its generation and whether it has no known source (scipy's sparse graph routines).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext as _
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, shortest_path

from epigrid.accounts.roles import EPI_VIEW
from epigrid.core.errors import NotFound
from epigrid.core.scoping import in_scope, prefix_upper
from epigrid.residents.models import Resident

from .bulk import update_rows
from .models import Case, Classification, Contact, Exposure, Link

HOPS_MAX = 5
NODES_MAX = 3000  # a chain larger than this is cut (the answer says so): a cluster's graph shows the rest

_EXPOSURE = Exposure._meta.db_table
_LINK = Link._meta.db_table
_CASE = Case._meta.db_table


def _hop_sql(direction: str, count: int) -> str:
    """Both kinds of edge touching the frontier on one side: (direction, kind, source person, target
    person, setting or evidence, first date, last date, the row's grid)."""
    marks = ", ".join(["%s"] * count)
    exposure_end, link_end = ("e.person_id", "b.resident_id") if direction == "up" else ("e.source_id", "a.resident_id")
    return (f"SELECT '{direction}', 'exposure', e.source_id, e.person_id, e.setting, e.first_date, e.last_date, "
            f"e.grid_code FROM {_EXPOSURE} e WHERE {exposure_end} IN ({marks}) "
            f"UNION ALL SELECT '{direction}', 'link', a.resident_id, b.resident_id, l.evidence, NULL, NULL, l.grid_code "
            f"FROM {_LINK} l JOIN {_CASE} a ON a.id = l.infector_id JOIN {_CASE} b ON b.id = l.infectee_id "
            f"WHERE {link_end} IN ({marks})")


def _walk(cursor, root: int, up: int, down: int, hop_of: dict, edges: dict) -> bool:
    """Follow edges up to `up` hops towards the sources and `down` hops away, both sides of a hop in one
    statement; False when the node cap cut the walk short."""
    frontier = {"up": [root] if up else [], "down": [root] if down else []}
    for hop in range(1, max(up, down) + 1):
        sides = [d for d, limit in (("up", up), ("down", down)) if hop <= limit and frontier[d]]
        if not sides:
            break
        sql = " UNION ALL ".join(_hop_sql(d, len(frontier[d])) for d in sides)
        cursor.execute(sql, [pk for d in sides for pk in frontier[d] * 2])
        following = {"up": [], "down": []}
        for direction, kind, src, dst, setting, first, last, grid in cursor.fetchall():
            edges.setdefault((kind, src, dst, setting, str(first or "")), (first, last, grid))
            other = src if direction == "up" else dst
            if other not in hop_of:
                if len(hop_of) >= NODES_MAX:
                    return False
                hop_of[other] = -hop if direction == "up" else hop
                following[direction].append(other)
        frontier = following
    return True


def _readable(user, codes) -> bool:
    return any(code and in_scope(user, EPI_VIEW, code) for code in codes)


def person_for_chain(*, user, person_uid) -> Resident:
    """The person, if `user` reads them under EPI_VIEW: their address grid, or one of their cases (its grid
    or its reporting unit) or contact records, lies in the user's jurisdiction. Else NotFound."""
    person = Resident.objects.filter(uid=person_uid).only("id", "uid", "name", "grid_code").first()
    if person is None:
        raise NotFound(_("No such person."))
    if in_scope(user, EPI_VIEW, person.grid_code):
        return person
    codes = _rows(f"SELECT grid_code, reporting_code FROM {_CASE} WHERE resident_id IN (%(ids)s) UNION ALL "
                  f"SELECT grid_code, '' FROM {Contact._meta.db_table} WHERE resident_id IN (%(ids)s)",
                  [person.pk])
    if _readable(user, [code for pair in codes for code in pair]):
        return person
    raise NotFound(_("No such person."))


def _rows(sql: str, ids: list) -> list[tuple]:
    """A bare statement over a list of ids (the ORM's `__in` costs tens of milliseconds per thousand)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("%(ids)s", ", ".join(["%s"] * len(ids))), ids * sql.count("%(ids)s"))
        return cursor.fetchall()


def _uuid(value) -> str | None:
    """A uid as text, from the database's own form: a UUID (PostgreSQL) or 32 hex digits (SQLite)."""
    if value is None or isinstance(value, uuid.UUID):
        return value and str(value)
    h = value.replace("-", "")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


# A graph's people, their cases and contact records in one statement (one round trip instead of three):
# (part, person, uid, name or classification or status, grid, reporting unit, generation or degree,
# no known source, onset date, report date or last exposure), oldest first so that the latest wins.
_NODES_SQL = (
    f"SELECT 'r', id, uid, name, grid_code, NULL, NULL, NULL, NULL, NULL FROM {Resident._meta.db_table} "
    f"WHERE id IN (%(ids)s) "
    f"UNION ALL SELECT 'c', resident_id, uid, classification, grid_code, reporting_code, generation, "
    f"no_known_source, onset_date, report_date FROM {_CASE} WHERE resident_id IN (%(ids)s) "
    f"UNION ALL SELECT 'k', resident_id, NULL, status, grid_code, NULL, degree, NULL, NULL, last_exposure "
    f"FROM {Contact._meta.db_table} WHERE resident_id IN (%(ids)s) ORDER BY 10, 3")


def nodes_describe(user, person_ids, *, hop_of=None) -> dict[int, dict]:
    """The graph's nodes by person id: name, latest case and contact record where `user` reads the person;
    a masked node ("outside your jurisdiction") with no personal field otherwise. One statement."""
    ids = list(person_ids)
    if not ids:
        return {}
    people, cases, contacts = {}, {}, {}
    for part, pk, uid, word, grid, reporting, number, flag, onset, day in _rows(_NODES_SQL, ids):
        if part == "r":
            people[pk] = (uid, word, grid)
        elif part == "c":  # the latest case of the person wins
            cases[pk] = (pk, uid, word, grid, reporting, number, flag, onset, day)
        else:
            contacts[pk] = (pk, number, word, grid)
    scope = {}

    def readable(codes) -> bool:
        for code in codes:
            if code and code not in scope:
                scope[code] = in_scope(user, EPI_VIEW, code)
            if code and scope[code]:
                return True
        return False

    nodes, masked, outside = {}, 0, _("Outside your jurisdiction")
    for pk in ids:
        uid, name, grid = people.get(pk, (None, "", ""))
        case, contact = cases.get(pk), contacts.get(pk)
        hop = hop_of.get(pk, 0) if hop_of else 0
        if uid is None or not readable((grid, *(case[3:5] if case else ()), contact[3] if contact else "")):
            masked += 1
            nodes[pk] = {"id": f"x{masked}", "person": None, "name": None, "masked": True, "label": outside,
                         "case": None, "classification": None, "contact_degree": None, "generation": None,
                         "no_known_source": False, "hop": hop, "date": None}
            continue
        uid = _uuid(uid)
        nodes[pk] = {
            "id": f"p{uid.replace('-', '')}", "person": uid, "name": name, "masked": False, "label": name,
            "case": _uuid(case[1]) if case else None, "classification": case[2] if case else None,
            "contact_degree": contact[1] if contact else None, "generation": case[5] if case else None,
            "no_known_source": bool(case[6]) if case else False, "hop": hop,
            "date": _date(case[7] or case[8]) if case else None,
        }
    return nodes


def edges_describe(nodes: dict, edges: dict) -> list[dict]:
    """Edges between described nodes; between a masked node and another, only the kind of the edge."""
    out = []
    for (kind, src, dst, setting, _first), (first, last, _grid) in edges.items():
        if src not in nodes or dst not in nodes:
            continue
        a, b = nodes[src], nodes[dst]
        hidden = a["masked"] or b["masked"]
        out.append({"source": a["id"], "target": b["id"], "kind": kind,
                    "setting": None if hidden or kind != "exposure" else setting,
                    "evidence": None if hidden or kind != "link" else setting,
                    "first_date": None if hidden else first, "last_date": None if hidden else last})
    return out


def chain_of(*, user, person_uid, up: int = 3, down: int = 3) -> dict:
    """A person's chain, `up` hops towards their sources and `down` hops towards those they exposed or
    infected, following exposures and links. NotFound unless `user` reads the person under EPI_VIEW;
    people outside the user's jurisdiction appear masked."""
    up, down = max(0, min(HOPS_MAX, up)), max(0, min(HOPS_MAX, down))
    person = person_for_chain(user=user, person_uid=person_uid)
    hop_of, edges = {person.pk: 0}, {}
    with connection.cursor() as cursor:
        whole = _walk(cursor, person.pk, up, down, hop_of, edges)
    nodes = nodes_describe(user, hop_of, hop_of=hop_of)
    return {"person": person.uid, "up": up, "down": down, "truncated": not whole,
            "nodes": list(nodes.values()), "edges": edges_describe(nodes, edges)}


# ------------------------------------------------------------------ the city's chains, recomputed at once

def _infection_graph(cases, links, exposures):
    """Index persons; the directed edges that carry infection between persons (links; exposures whose
    target is a case or who exposed someone in turn), and the case-to-case sources."""
    active = {person for _id, person, cls in cases if cls != Classification.EXCLUDED}
    sources = {src for src, _dst in exposures}
    index: dict[int, int] = {}

    def at(person):
        return index.setdefault(person, len(index))

    for _id, person, _cls in cases:
        at(person)
    src, dst, known = [], [], set()
    for a, b in links:
        src.append(at(a))
        dst.append(at(b))
        known.add(b)
    for a, b in exposures:
        if b in active or b in sources:
            src.append(at(a))
            dst.append(at(b))
        if a in active:
            known.add(b)
    return index, np.asarray(src, dtype=np.int32), np.asarray(dst, dtype=np.int32), active, known


def _generations(index, src, dst, active, known) -> np.ndarray:
    """Generation of every person: 1 for a case with no known source, then +1 per case-to-case step
    (the shortest), following edges between active cases only; inf where unreachable."""
    n = len(index)
    is_case = np.zeros(n + 1, dtype=bool)
    for person in active:
        is_case[index[person]] = True
    keep = is_case[src] & is_case[dst]
    roots = np.fromiter((index[p] for p in active if p not in known), dtype=np.int32)
    rows = np.concatenate([src[keep], np.full(len(roots), n, dtype=np.int32)])
    cols = np.concatenate([dst[keep], roots])
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    return shortest_path(graph, directed=True, unweighted=True, indices=n)


def chains_recompute(*, city_code: str) -> dict:
    """Every case of the city: its chain (the weakly connected component of the infection graph, named
    by the id of its earliest case), the chain's number of cases, its generation and whether it has no
    known source (no infector link and no exposure from a case). Rows whose values did not change are
    not written. Returns counts."""
    bounds = [city_code, prefix_upper(city_code) or ":"]  # the city's grid codes (":" sorts after digits)
    with connection.cursor() as cursor:  # bare statements: 100,000 ORM rows would cost more than the graph
        cursor.execute(f"SELECT id, resident_id, classification FROM {_CASE} WHERE city_code = %s "
                       f"ORDER BY report_date, id", [city_code])
        cases = cursor.fetchall()
        cursor.execute(f"SELECT a.resident_id, b.resident_id FROM {_LINK} l JOIN {_CASE} a ON a.id = l.infector_id "
                       f"JOIN {_CASE} b ON b.id = l.infectee_id WHERE l.grid_code >= %s AND l.grid_code < %s", bounds)
        links = cursor.fetchall()
        cursor.execute(f"SELECT source_id, person_id FROM {_EXPOSURE} WHERE grid_code >= %s AND grid_code < %s",
                       bounds)
        exposures = cursor.fetchall()
    index, src, dst, active, known = _infection_graph(cases, links, exposures)
    n = len(index)
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
    _count, labels = connected_components(graph, directed=True, connection="weak")
    depth = _generations(index, src, dst, active, known)
    first_case: dict[int, int] = {}
    size: dict[int, int] = defaultdict(int)
    for case_id, person, _cls in cases:  # by report date: the first seen is the chain's earliest case
        label = labels[index[person]]
        first_case.setdefault(label, case_id)
        size[label] += 1
    wanted = {}
    for case_id, person, cls in cases:
        i = index[person]
        generation = int(depth[i]) if cls != Classification.EXCLUDED and np.isfinite(depth[i]) else None
        wanted[case_id] = (first_case[labels[i]], size[labels[i]], generation,
                           cls != Classification.EXCLUDED and person not in known)
    current = Case.objects.filter(city_code=city_code).values_list(
        "id", "chain_root", "chain_size", "generation", "no_known_source")
    changed = [(*wanted[pk], pk) for pk, *values in current if tuple(values) != wanted.get(pk, tuple(values))]
    with transaction.atomic():
        update_rows(_CASE, [("chain_root", "bigint"), ("chain_size", "integer"), ("generation", "smallint"),
                            ("no_known_source", "boolean")], changed)
    return {"cases": len(cases), "chains": len(first_case), "changed": len(changed),
            "no_known_source": sum(1 for v in wanted.values() if v[3])}
