"""Clusters: proposed from shared households, exposure places and links within 14 days, idempotently;
confirmed, dismissed and renamed by staff of their jurisdiction; read with cases, contacts, timeline and
growth."""

from datetime import timedelta

import pytest

from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.epi.clusters import cluster_detail, clusters_propose, place_key
from epigrid.epi.graph_api import ClusterGraphOut
from epigrid.epi.models import Cluster, ClusterStatus
from tests.epi import graph_builders as b

DAY = b.DAY


@pytest.fixture
def family(dc_grid):
    """Two confirmed cases of one household, five days apart."""
    home = b.household(dc_grid.code)
    people = [b.person(dc_grid.code, name, home) for name in ("户主甲", "家人乙", "家人丙")]
    cases = [b.case(people[0], day=DAY), b.case(people[1], day=DAY + timedelta(days=5))]
    return home, people, cases


def test_place_key_folds_spelling_differences():
    assert place_key("transport", "北京南站 G101") == place_key("transport", "北京南站ｇ１０１") == "transport:北京南站g101"
    assert place_key("venue", "  ") == ""
    assert place_key("venue", "超市") != place_key("workplace", "超市")


def test_two_cases_of_a_household_within_14_days_make_one_proposal_and_proposing_again_adds_none(family, epi):
    home, people, cases = family
    assert clusters_propose(actor=epi, city_code="1101")["created"] == 1
    cluster = Cluster.objects.get()
    assert (cluster.status, cluster.setting, cluster.case_count) == ("proposed", "household", 2)
    assert (cluster.first_date, cluster.last_date) == (DAY, DAY + timedelta(days=5))
    assert clusters_propose(actor=epi, city_code="1101") == {"created": 0, "updated": 0, "members_added": 0}
    # A third case of the household a week later: the same cluster grows
    b.case(people[2], day=DAY + timedelta(days=12))
    assert clusters_propose(actor=epi, city_code="1101")["created"] == 0
    cluster = Cluster.objects.get()
    assert cluster.case_count == 3 and cluster.last_date == DAY + timedelta(days=12)
    assert AuditEvent.objects.filter(action="cluster.propose", object_id=str(cluster.uid)).count() == 2


def test_cases_further_apart_than_14_days_or_not_infected_make_no_cluster(dc_grid, epi):
    home = b.household(dc_grid.code)
    first, second, third = (b.person(dc_grid.code, n, home) for n in ("甲", "乙", "丙"))
    b.case(first, day=DAY)
    b.case(second, day=DAY + timedelta(days=15))
    b.case(third, classification="suspected", day=DAY + timedelta(days=1))
    assert clusters_propose(actor=epi, city_code="1101")["created"] == 0
    assert not Cluster.objects.exists()


def test_cases_exposed_at_one_place_spelled_two_ways_make_a_cluster_of_that_setting(dc_grid, xc_grid, epi):
    source = b.person(dc_grid.code, "车厢甲")
    rider1, rider2 = b.person(dc_grid.code, "乘客乙"), b.person(dc_grid.code, "乘客丙")
    b.expose(source, rider1, "transport", "G101 北京南站", DAY)
    b.expose(source, rider2, "transport", "g101北京南站", DAY)
    b.case(rider1, day=DAY + timedelta(days=3))
    b.case(rider2, day=DAY + timedelta(days=4))
    clusters_propose(actor=SYSTEM, city_code="1101")
    cluster = Cluster.objects.get()
    assert cluster.setting == "transport" and cluster.case_count == 2 and "北京南站" in cluster.name


def test_links_within_a_workplace_make_a_cluster(dc_grid, epi):
    a, c = b.person(dc_grid.code, "同事甲"), b.person(dc_grid.code, "同事乙")
    case_a, case_c = b.case(a, day=DAY), b.case(c, day=DAY + timedelta(days=2))
    b.expose(a, c, "workplace", "")
    b.link(case_a, case_c)
    clusters_propose(actor=epi, city_code="1101")
    assert Cluster.objects.get().setting == "workplace"


def test_a_dismissed_cluster_is_never_revived_nor_duplicated(family, epi, api):
    home, people, cases = family
    clusters_propose(actor=epi, city_code="1101")
    cluster = Cluster.objects.get()
    response = api.as_user(epi).post(f"/clusters/{cluster.uid}/dismiss", {"reason": "同住不同源"})
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    b.case(people[2], day=DAY + timedelta(days=7))
    assert clusters_propose(actor=epi, city_code="1101")["created"] == 0
    cluster.refresh_from_db()
    assert Cluster.objects.count() == 1 and cluster.status == "dismissed" and cluster.case_count == 2
    assert AuditEvent.objects.get(action="cluster.dismiss").reason == "同住不同源"


def test_confirming_names_the_cluster_and_is_audited(family, epi, api):
    clusters_propose(actor=epi, city_code="1101")
    cluster = Cluster.objects.get()
    response = api.as_user(epi).post(f"/clusters/{cluster.uid}/confirm", {"name": "东城某户家庭聚集"})
    assert response.status_code == 200
    assert response.json()["name"] == "东城某户家庭聚集" and response.json()["status"] == "confirmed"
    assert AuditEvent.objects.filter(action="cluster.confirm", object_id=str(cluster.uid)).exists()
    again = api.as_user(epi).post(f"/clusters/{cluster.uid}/confirm", {"name": "又一次"})
    assert again.status_code == 409
    renamed = api.as_user(epi).post(f"/clusters/{cluster.uid}/rename", {"name": "改名"})
    assert renamed.json()["name"] == "改名"


def test_bad_names_and_reasons_are_refused_naming_the_field(family, epi, api):
    clusters_propose(actor=epi, city_code="1101")
    cluster = Cluster.objects.get()
    response = api.as_user(epi).post(f"/clusters/{cluster.uid}/confirm", {"name": "   "})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "name"
    response = api.as_user(epi).post(f"/clusters/{cluster.uid}/dismiss", {"reason": ""})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reason"
    cluster.refresh_from_db()
    assert cluster.status == ClusterStatus.PROPOSED


def test_confirming_out_of_scope_answers_404_and_changes_nothing(family, epi_xicheng, alice, bob, api):
    clusters_propose(actor=SYSTEM, city_code="1101")
    cluster = Cluster.objects.get()
    for user in (epi_xicheng, bob, alice):  # alice reads Dongcheng's clusters but may not decide them
        response = api.as_user(user).post(f"/clusters/{cluster.uid}/confirm", {"name": "越权"})
        assert response.status_code == 404, user
    cluster.refresh_from_db()
    assert cluster.status == "proposed"
    assert api.as_user(bob).get(f"/clusters/{cluster.uid}").status_code == 404
    assert api.as_user(alice).get(f"/clusters/{cluster.uid}").status_code == 200


def test_proposing_for_another_city_is_not_found_and_a_bad_code_names_the_field(family, epi):
    from epigrid.core.errors import NotFound, ServiceError

    with pytest.raises(NotFound):
        clusters_propose(actor=epi, city_code="4403")
    with pytest.raises(ServiceError) as exc:
        clusters_propose(actor=epi, city_code="11x")
    assert exc.value.errors[0].field == "city_code"


def test_a_xicheng_epidemiologist_proposes_nothing_in_dongcheng(family, epi_xicheng):
    assert clusters_propose(actor=epi_xicheng, city_code="1101")["created"] == 0


def test_the_cluster_shows_its_cases_contacts_timeline_and_growth(family, alice, xc_grid, api):
    home, people, cases = family
    outsider = b.person(xc_grid.code, "西城密接")
    b.expose(people[0], outsider, "gathering", "聚餐")
    b.expose(people[1], b.person(home.grid_code, "东城密接"), "workplace", "")
    clusters_propose(actor=SYSTEM, city_code="1101")
    cluster = Cluster.objects.get()
    detail = cluster_detail(user=alice, cluster=cluster, today=DAY + timedelta(days=6))
    assert [c["name"] for c in detail["cases"]] == ["户主甲", "家人乙"]
    assert detail["contacts_count"] == 2
    assert {c["name"] for c in detail["contacts"]} == {"东城密接", None}
    assert [d["cases"] for d in detail["timeline"]] == [1, 1]
    assert detail["growth"]["last_7_days"] == 2 and detail["growth"]["previous_7_days"] == 0
    later = cluster_detail(user=alice, cluster=cluster, today=DAY + timedelta(days=11))
    assert (later["growth"]["last_7_days"], later["growth"]["previous_7_days"]) == (1, 1)
    body = api.as_user(alice).get(f"/clusters/{cluster.uid}").content.decode()
    assert "西城密接" not in body and "户主甲" in body


def test_the_cluster_list_is_scoped_and_filtered(family, alice, bob, api):
    clusters_propose(actor=SYSTEM, city_code="1101")
    assert api.as_user(alice).get("/clusters").json()["count"] == 1
    assert api.as_user(alice).get("/clusters", status="confirmed").json()["count"] == 0
    assert api.as_user(bob).get("/clusters").json()["count"] == 0
    assert api.as_user(alice).get("/clusters", within="bad").status_code == 400


def test_the_cluster_graph_marks_members_and_contacts_with_positions(family, alice, api):
    home, people, cases = family
    b.expose(people[0], people[1], "household")
    b.link(cases[0], cases[1], "household")
    b.expose(people[1], b.person(home.grid_code, "东城密接"), "gathering", "聚餐")
    clusters_propose(actor=SYSTEM, city_code="1101")
    cluster = Cluster.objects.get()
    graph = api.as_user(alice).get(f"/clusters/{cluster.uid}/graph").json()
    ClusterGraphOut.model_validate(graph)  # written straight out: the shape its OpenAPI schema promises
    members = {n["name"]: n for n in graph["nodes"]}
    assert members["户主甲"]["member"] and members["家人乙"]["member"] and not members["东城密接"]["member"]
    assert members["户主甲"]["x"] < members["家人乙"]["x"] < members["东城密接"]["x"]
    assert {e["kind"] for e in graph["edges"]} == {"exposure", "link"}
    without = api.as_user(alice).get(f"/clusters/{cluster.uid}/graph", contacts="false").json()
    assert {n["name"] for n in without["nodes"]} == {"户主甲", "家人乙"}


def test_the_pages_list_show_and_decide_clusters(family, epi, bob, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages are read in English
    client.force_login(epi)
    response = client.post("/epi/clusters/propose/", follow=True)
    assert "1 new" in response.content.decode()
    cluster = Cluster.objects.get()
    page = client.get("/epi/clusters/").content.decode()
    assert f"/epi/clusters/{cluster.uid}/" in page
    detail = client.get(f"/epi/clusters/{cluster.uid}/")
    assert detail.status_code == 200 and 'data-testid="confirm"' in detail.content.decode()
    client.post(f"/epi/clusters/{cluster.uid}/confirm/", {"name": "家庭聚集一号"})
    cluster.refresh_from_db()
    assert (cluster.status, cluster.name) == ("confirmed", "家庭聚集一号")
    refused = client.post(f"/epi/clusters/{cluster.uid}/dismiss/", {"reason": ""}, follow=True)
    assert "a reason is required" in refused.content.decode()
    client.force_login(bob)
    assert client.get(f"/epi/clusters/{cluster.uid}/").status_code == 404
    assert client.post(f"/epi/clusters/{cluster.uid}/dismiss/", {"reason": "x"}).status_code == 404


def test_a_city_level_epidemiologist_proposes_from_the_clusters_page(family, client):
    from epigrid.accounts.roles import Role
    from tests.conftest import _user

    client.force_login(_user("epicity", Role.EPIDEMIOLOGIST, "110000000000"))  # Beijing's own node
    assert 'data-testid="propose"' in client.get("/epi/clusters/").content.decode()
    client.post("/epi/clusters/propose/")
    assert Cluster.objects.get().case_count == 2


def test_a_household_exposure_between_people_the_registry_does_not_house_together_is_a_household_cluster(dc_grid):
    # Two people registered without a shared household (a lodger, a relative staying over): the exposure
    # says "household" and the link joins them; that is a household cluster, proposed once.
    first, second = b.person(dc_grid.code, "房东甲"), b.person(dc_grid.code, "租客乙")
    cases = [b.case(first, day=DAY), b.case(second, day=DAY + timedelta(days=4))]
    b.expose(first, second, "household")
    b.link(cases[0], cases[1], "household")
    assert clusters_propose(actor=SYSTEM, city_code="1101")["created"] == 1
    cluster = Cluster.objects.get()
    assert (cluster.setting, cluster.case_count) == ("household", 2)
