"""Exposures make contacts: managed by the city's rule from the last exposure, under observation in the
health app (so the grid worker's list has them), with tasks for the grid worker; a second source extends
the same record; a contact who becomes a case keeps the chain."""

from datetime import timedelta

import pytest

from epigrid.core.errors import Conflict, NotFound, ServiceError
from epigrid.epi.models import Contact, Exposure, Link, TracingTask
from epigrid.epi.services import case_create, exposure_record, link_create
from epigrid.epi.services.common import today_local
from epigrid.health.models import Observation
from epigrid.health.selectors import worker_today


@pytest.fixture
def case(epi, person):
    return case_create(actor=epi, resident=person("病例甲"), data={"classification": "confirmed"})[0]


def expose(epi, source, resident, days_ago=1, **kw):
    last = today_local() - timedelta(days=days_ago)
    kw.setdefault("setting", "household")
    return exposure_record(actor=epi, source_case=source, resident=resident, first_date=last - timedelta(days=2),
                           last_date=last, **kw)[0]


def test_a_close_contact_is_observed_by_the_2022_rule_and_tasked(epi, case, person, worker):
    exposure = expose(epi, case, person("密接乙"), days_ago=2)
    contact = exposure.contact
    assert contact.degree == 1 and contact.rule == "2022"
    assert contact.management_end == exposure.last_date + timedelta(days=10)
    obs = Observation.objects.get(pk=contact.observation_id)
    assert obs.kind == "centralised" and obs.reason == "close_contact" and obs.planned_end == contact.management_end
    assert sorted(TracingTask.objects.filter(contact=contact).values_list("kind", flat=True)) == ["place", "reach", "test"]
    assert set(TracingTask.objects.values_list("assignee__username", flat=True)) == {"gw"}
    # The grid worker's own list has the contact under observation, unchanged.
    assert obs.uid in {o.uid for o in worker_today(user=worker)["observations"]}


def test_the_2020_rule_is_14_days_at_home(epi, case, person, settings):
    settings.EPI_CONTACT_RULE = "2020"
    contact = expose(epi, case, person()).contact
    assert contact.management_end == contact.last_exposure + timedelta(days=14)
    assert Observation.objects.get(pk=contact.observation_id).kind == "home"


def test_a_second_source_extends_the_same_contact_and_observation(epi, case, person):
    other = case_create(actor=epi, resident=person("病例丙"), data={"classification": "confirmed"})[0]
    resident = person("密接丁")
    first = expose(epi, case, resident, days_ago=5)
    second = expose(epi, other, resident, days_ago=1, setting="workplace", place="某公司")
    assert first.contact_id == second.contact_id and Contact.objects.count() == 1
    contact = Contact.objects.get()
    assert contact.last_exposure == second.last_date and contact.management_end == second.last_date + timedelta(days=10)
    assert Observation.objects.filter(resident=resident).count() == 1
    assert Observation.objects.get(resident=resident).planned_end == contact.management_end
    assert set(Exposure.objects.filter(contact=contact).values_list("source_case", flat=True)) == {case.pk, other.pk}


def test_someone_already_observed_after_arrival_keeps_that_observation(epi, case, person):
    from epigrid.core.principals import SYSTEM
    from epigrid.health.services import observation_start

    resident = person()
    running = observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival", days=3)
    contact = expose(epi, case, resident).contact
    assert contact.observation_id == running.pk and Observation.objects.filter(resident=resident).count() == 1
    running.refresh_from_db()
    assert running.planned_end == contact.management_end


def test_a_secondary_contact_and_no_further(epi, case, person):
    close = expose(epi, case, person()).contact
    secondary = exposure_record(actor=epi, source_contact=close.uid, resident=person(), setting="workplace",
                                first_date=today_local(), last_date=today_local())[0].contact
    assert secondary.degree == 2
    with pytest.raises(ServiceError) as bad:
        exposure_record(actor=epi, source_contact=secondary.uid, resident=person(), setting="workplace",
                        first_date=today_local(), last_date=today_local())
    assert bad.value.errors[0].field == "source_contact"


@pytest.mark.parametrize("change, field", [
    ({"first_date": 1, "last_date": 3}, "last_date"),  # days ago: the last before the first
    ({"first_date": -1, "last_date": -1}, "first_date"),  # tomorrow
    ({"setting": "bus"}, "setting"),
])
def test_bad_exposures_are_refused_and_nothing_is_stored(epi, case, person, change, field):
    today = today_local()
    values = {"setting": "household", "first_date": today, "last_date": today}
    for key in ("first_date", "last_date"):
        if key in change:
            values[key] = today - timedelta(days=change[key])
    if "setting" in change:
        values["setting"] = change["setting"]
    with pytest.raises(ServiceError) as bad:
        exposure_record(actor=epi, source_case=case, resident=person(), **values)
    assert field in {e.field for e in bad.value.errors}
    assert not Contact.objects.exists() and not Exposure.objects.exists() and not Observation.objects.exists()


def test_a_case_cannot_be_its_own_contact_nor_reach_outside(epi, case, person, xicheng_grid):
    with pytest.raises(ServiceError):
        expose(epi, case, case.resident)
    with pytest.raises(NotFound):
        expose(epi, case, person(grid_code=xicheng_grid.code))
    assert not Contact.objects.exists()


def test_a_contact_who_becomes_a_case_keeps_the_chain(epi, case, person):
    contact = expose(epi, case, person("密接戊")).contact
    new_case, _ = case_create(actor=epi, resident=contact.resident, data={"classification": "confirmed"})
    contact.refresh_from_db()
    assert contact.status == "became_case" and contact.case_id == new_case.pk
    assert Link.objects.filter(infector=case, infectee=new_case).exists()
    # and once a case, the person is not made a contact again: link the cases instead
    with pytest.raises(Conflict):
        expose(epi, case, contact.resident)


def test_links_refuse_self_and_cycles(epi, person):
    a, b, c = (case_create(actor=epi, resident=person(n), data={"classification": "confirmed"})[0] for n in "甲乙丙")
    with pytest.raises(ServiceError) as bad:
        link_create(actor=epi, infector=a.uid, infectee=a.uid, evidence="household")
    assert bad.value.errors[0].field == "infector"
    link_create(actor=epi, infector=a.uid, infectee=b.uid, evidence="household")
    link_create(actor=epi, infector=b.uid, infectee=c.uid, evidence="household")
    with pytest.raises(ServiceError) as cycle:
        link_create(actor=epi, infector=c.uid, infectee=a.uid, evidence="household")
    assert cycle.value.errors[0].field == "infector" and Link.objects.count() == 2
    with pytest.raises(Conflict):
        link_create(actor=epi, infector=a.uid, infectee=b.uid, evidence="sequencing")


def test_a_contact_confirmed_leaves_observation_for_the_hospital(epi, case, person):
    contact = expose(epi, case, person("密接己")).contact
    suspected, _ = case_create(actor=epi, resident=contact.resident, data={"classification": "suspected"})
    assert Observation.objects.get(pk=contact.observation_id).status == "active"  # suspected: still observed
    from epigrid.epi.services import case_reclassify

    case_reclassify(actor=epi, uid=suspected.uid, classification="confirmed")
    assert Observation.objects.get(pk=contact.observation_id).status == "hospital"
