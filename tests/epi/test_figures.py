"""What a commander sees of the epidemic: counts per node and day from the rollups, never a person; the
incremental update (from the audit log) equals a rebuild."""

from datetime import timedelta

from django.utils import timezone

from epigrid.epi.services import case_create, case_update, exposure_record
from epigrid.epi.services.common import today_local
from epigrid.regions import rollups


def _values(figure, codes):
    return rollups.values_at(figure=figure, day=timezone.localdate(), codes=codes)


def test_cases_and_contacts_count_in_their_grid_and_every_node_above(epi, person, first_grid):
    rollups.figures_rebuild()
    a, _ = case_create(actor=epi, resident=person(), data={"classification": "confirmed"})
    case_create(actor=epi, resident=person(), data={"classification": "suspected"})  # not infected: not counted
    today = today_local()
    exposure_record(actor=epi, source_case=a, resident=person(), setting="household", first_date=today,
                    last_date=today)
    rollups.figures_update()
    district, grid = "110101000000", first_grid.code
    assert _values("cases", [grid, district]) == {grid: 1, district: 1}
    assert _values("new_cases", [district]) == {district: 1}
    assert _values("contacts", [district]) == {district: 1}
    incremental = {f: _values(f, [grid, district]) for f in ("cases", "new_cases", "contacts")}
    rollups.figures_rebuild()
    assert {f: _values(f, [grid, district]) for f in incremental} == incremental
    # Recovered: no longer a current case, still a new case of its report day.
    case_update(actor=epi, uid=a.uid, data={"outcome": "recovered", "outcome_date": today - timedelta(days=0)})
    rollups.figures_rebuild()
    assert not _values("cases", [district]).get(district) and _values("new_cases", [district]) == {district: 1}


def test_the_commander_reads_the_figures_but_no_case(api, epi, person, commander):
    case, _ = case_create(actor=epi, resident=person("吴十"), data={"classification": "confirmed"})
    rollups.figures_rebuild()
    client = api.as_user(commander)
    assert client.get(f"/cases/{case.uid}").status_code == 404 and client.get("/cases").json()["items"] == []
    response = client.get("/map", within="110101000000", figure="cases")  # the commander's map
    assert response.status_code == 200 and "吴十" not in response.content.decode()
    assert sum(f["properties"]["value"] or 0 for f in response.json()["features"]) == 1
