"""Every service takes an explicit principal (a user, SYSTEM, PUBLIC or a link), never None: a view that
passed None by mistake used to get every right."""

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

import epigrid
from epigrid.core.audit import audit_event
from epigrid.core.principals import PUBLIC, SYSTEM, LinkPrincipal, check_actor

# The audit writes rows for every kind of principal and checks the actor itself; so does the workflow's
# rule, which callers pass the actor positionally.
CHECKS_ITSELF = {"epigrid.core.audit.audit_event", "epigrid.core.audit.audit_record",
                 "epigrid.patrol.workflow.refusal", "epigrid.epi.services.common.epi_audit"}


def _functions_with_an_actor():
    for info in pkgutil.walk_packages(epigrid.__path__, "epigrid."):
        if (".migrations" in info.name or info.name.endswith(("settings", "wsgi", "asgi"))
                or info.name == "epigrid.core.principals"):  # the helpers that inspect an actor
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if (inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")
                    and "actor" in inspect.signature(fn).parameters):
                yield f"{module.__name__}.{name}", fn


SERVICES = sorted(_functions_with_an_actor())


def test_the_services_were_found():
    names = {name.rsplit(".", 1)[1] for name, _fn in SERVICES}
    assert {"resident_create", "arrival_register", "checkin_record", "incident_report", "regions_import",
            "user_add", "patrol_start", "residents_import"} <= names


@pytest.mark.parametrize(("name", "fn"), SERVICES, ids=[name for name, _fn in SERVICES])
def test_no_service_accepts_none_or_an_anonymous_user(name, fn):
    if name in CHECKS_ITSELF:
        return
    assert getattr(fn, "is_service", False), f"{name} takes an actor but is not a @service"
    for wrong in (None, AnonymousUser(), "system", 1):
        with pytest.raises(TypeError, match="principal"):
            fn(actor=wrong)


def test_the_workflow_rule_refuses_none():
    from epigrid.patrol.workflow import refusal

    for wrong in (None, AnonymousUser(), "system"):
        with pytest.raises(TypeError, match="principal"):
            refusal(wrong, None, "verify")


def test_the_audit_refuses_none_and_names_each_kind():
    with pytest.raises(TypeError):
        audit_event(actor=None, action="x")
    link = LinkPrincipal(kind="observation", object_id="ab" * 16)
    assert [audit_event(actor=a, action="x").actor_name for a in (SYSTEM, PUBLIC, link)] == [
        "system", "public", "link:observation"]


def test_check_actor_accepts_the_four_kinds(alice):
    for actor in (alice, SYSTEM, PUBLIC, LinkPrincipal(kind="observation", object_id="x")):
        assert check_actor(actor) is actor


def test_nothing_in_the_source_passes_or_tests_for_a_missing_actor():
    src = Path(epigrid.__file__).parent
    offenders = [f"{path}:{n}" for path in src.rglob("*.py") if "migrations" not in path.parts
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if "actor=None" in line or "actor is None" in line or "actor is not None" in line]
    assert offenders == []
