"""A person's transmission chain (chains.chain_of, GET /api/v1/chains/{person}, the chain page) and the
city's chains recomputed at once (chains.chains_recompute)."""

from datetime import timedelta

import pytest

from epigrid.epi.chains import chain_of, chains_recompute
from epigrid.epi.models import Case
from tests.epi import graph_builders as b


@pytest.fixture
def outbreak(dc_grid, xc_grid):
    """S -> A -> B -> C -> D (exposures; A->B also a link), B also exposed X in 西城区; C and D are contacts.
    Elsewhere: E, a case exposed only by a contact (no known source), and F, alone."""
    p = {k: b.person(dc_grid.code, name) for k, name in
         (("S", "源头甲"), ("A", "病例乙"), ("B", "病例丙"), ("C", "密接丁"), ("D", "次密戊"), ("E", "病例己"),
          ("F", "病例庚"), ("K", "密接辛"))}
    p["X"] = b.person(xc_grid.code, "西城壬")
    c = {k: b.case(p[k], day=b.DAY + timedelta(days=i)) for i, k in enumerate("SABEF")}
    b.expose(p["S"], p["A"], "workplace", "某公司")
    b.expose(p["A"], p["B"], "household")
    b.link(c["A"], c["B"])
    b.link(c["S"], c["A"])
    b.expose(p["B"], p["C"], "gathering", "婚宴")
    b.expose(p["C"], p["D"], "household")
    b.expose(p["B"], p["X"], "venue", "超市")
    b.expose(p["K"], p["E"], "venue", "菜场")
    return p, c


def _names(chain):
    return {n["name"] for n in chain["nodes"] if not n["masked"]}


def test_the_chain_follows_exposures_and_links_up_and_down_as_far_as_asked(outbreak, alice):
    p, _c = outbreak
    chain = chain_of(user=alice, person_uid=p["B"].uid, up=3, down=3)
    assert _names(chain) == {"源头甲", "病例乙", "病例丙", "密接丁", "次密戊"}
    hops = {n["name"]: n["hop"] for n in chain["nodes"] if not n["masked"]}
    assert hops == {"源头甲": -2, "病例乙": -1, "病例丙": 0, "密接丁": 1, "次密戊": 2}
    kinds = {(e["kind"], e["setting"] or e["evidence"]) for e in chain["edges"]}
    assert ("link", "epidemiological") in kinds and ("exposure", "household") in kinds
    short = chain_of(user=alice, person_uid=p["B"].uid, up=1, down=1)
    assert _names(short) == {"病例乙", "病例丙", "密接丁"}
    assert _names(chain_of(user=alice, person_uid=p["B"].uid, up=0, down=0)) == {"病例丙"}


def test_people_outside_the_jurisdiction_are_masked_without_any_personal_field(outbreak, alice, api):
    p, _c = outbreak
    response = api.as_user(alice).get(f"/chains/{p['B'].uid}")
    assert response.status_code == 200
    masked = [n for n in response.json()["nodes"] if n["masked"]]
    assert len(masked) == 1
    assert masked[0]["name"] is None and masked[0]["person"] is None and masked[0]["case"] is None
    assert masked[0]["label"] == "Outside your jurisdiction"
    body = response.content.decode()
    assert "西城壬" not in body and str(p["X"].uid) not in body
    edge = next(e for e in response.json()["edges"] if e["target"] == masked[0]["id"])
    assert edge["setting"] is None and edge["first_date"] is None


def test_a_person_outside_the_jurisdiction_answers_404(outbreak, api, bob, charlie, xc_grid, alice):
    p, _c = outbreak
    assert api.as_user(bob).get(f"/chains/{p['B'].uid}").status_code == 404
    assert api.as_user(charlie).get(f"/chains/{p['B'].uid}").status_code == 404
    assert api.as_user(alice).get(f"/chains/{p['X'].uid}").status_code == 404
    assert api.as_user(alice).get("/chains/00000000-0000-0000-0000-000000000000").status_code == 404


def test_hops_out_of_range_are_refused_naming_the_field(outbreak, alice, api):
    p, _c = outbreak
    response = api.as_user(alice).get(f"/chains/{p['B'].uid}", up=6)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "up"
    assert api.as_user(alice).get(f"/chains/{p['B'].uid}", down=-1).status_code == 400


def test_recompute_gives_chains_generations_and_flags_cases_with_no_known_source(outbreak):
    p, c = outbreak
    counts = chains_recompute(city_code="1101")
    got = {k: Case.objects.get(pk=c[k].pk) for k in c}
    assert [got[k].generation for k in "SAB"] == [1, 2, 3]
    assert got["S"].no_known_source and not got["A"].no_known_source and not got["B"].no_known_source
    # E was exposed only by a contact who is no case: no known source
    assert got["E"].no_known_source and got["E"].generation == 1
    assert got["F"].no_known_source
    assert got["S"].chain_root == got["A"].chain_root == got["B"].chain_root == c["S"].pk
    assert got["S"].chain_size == 3
    assert len({got["E"].chain_root, got["F"].chain_root, got["S"].chain_root}) == 3
    assert counts["chains"] == 3 and counts["no_known_source"] == 3
    assert chains_recompute(city_code="1101")["changed"] == 0  # nothing written when nothing changed


def test_a_new_link_moves_a_case_into_a_chain_and_its_generation_follows(outbreak):
    p, c = outbreak
    chains_recompute(city_code="1101")
    b.link(c["B"], c["F"])
    chains_recompute(city_code="1101")
    f = Case.objects.get(pk=c["F"].pk)
    assert f.generation == 4 and not f.no_known_source and f.chain_root == c["S"].pk
    assert Case.objects.get(pk=c["S"].pk).chain_size == 4


def test_an_excluded_case_has_no_generation(outbreak, dc_grid):
    p, c = outbreak
    excluded = b.case(b.person(dc_grid.code, "排除癸"), classification="excluded")
    b.expose(p["B"], excluded.resident, "household")
    chains_recompute(city_code="1101")
    got = Case.objects.get(pk=excluded.pk)
    assert got.generation is None and not got.no_known_source


def test_the_chain_page_draws_from_the_api(outbreak, alice, bob, client):
    p, _c = outbreak
    client.force_login(alice)
    response = client.get(f"/epi/chains/{p['B'].uid}/?up=2&down=1")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/api/v1/chains/{p['B'].uid}?up=2&amp;down=1" in page
    assert "vendor/echarts/echarts.min.js" in page
    client.force_login(bob)
    assert client.get(f"/epi/chains/{p['B'].uid}/").status_code == 404


def test_a_person_living_elsewhere_is_read_through_a_case_the_users_unit_reported(xc_grid, dc_grid, alice, api):
    person = b.person(xc_grid.code, "外区病例")
    assert api.as_user(alice).get(f"/chains/{person.uid}").status_code == 404
    b.case(person, reporting_code=dc_grid.code[:6] + "000000")
    response = api.as_user(alice).get(f"/chains/{person.uid}")
    assert response.status_code == 200 and response.json()["nodes"][0]["name"] == "外区病例"
