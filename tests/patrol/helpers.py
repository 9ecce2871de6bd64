"""Builders for incidents in any state, through the real services."""

import uuid

from epigrid.patrol import services
from epigrid.patrol.models import Incident

S = Incident.State
# The services that bring an incident from "reported" to each state, in order.
PATHS = {
    S.REPORTED: [],
    S.REJECTED: ["reject"],
    S.REGISTERED: ["register"],
    S.DISPATCHED: ["register", "dispatch"],
    S.HANDLED: ["register", "dispatch", "handle"],
    S.VERIFIED: ["register", "dispatch", "handle", "verify"],
    S.CLOSED: ["register", "dispatch", "handle", "verify", "close"],
    S.EVALUATED: ["register", "dispatch", "handle", "verify", "close", "evaluate"],
}


def action_kwargs(action: str, assignee: str = "gridworker") -> dict:
    return {
        "register": {},
        "reject": {"reason": "invalid", "comment": "not an incident"},
        "dispatch": {"assignee": assignee, "unit": "社区居委会"},
        "handle": {"result": "处理完毕"},
        "verify": {"passed": True},
        "close": {},
        "evaluate": {"rating": 5},
    }[action]


def report(reporter, lon, lat, **extra) -> Incident:
    values = {"category": "gathering", "description": "小区门口聚集", "lon": lon, "lat": lat,
              "client_id": uuid.uuid4().hex} | extra
    return services.incident_report(actor=reporter, **values)


def incident_in(state, *, reporter, manager, handler, lon, lat) -> Incident:
    incident = report(reporter, lon, lat)
    for action in PATHS[state]:
        actor = handler if action == "handle" else manager
        services.INCIDENT_ACTIONS[action](actor=actor, incident_id=incident.pk,
                                          **action_kwargs(action, handler.username))
    incident.refresh_from_db()
    assert incident.state == state
    return incident
