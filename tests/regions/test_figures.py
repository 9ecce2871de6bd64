"""The map's and home page's figures per node: summed from grids into divisions, kept by the rollup and
rebuilt from scratch with the same result."""

from datetime import timedelta

import pytest
from django.utils import timezone

from epigrid.core.principals import SYSTEM
from epigrid.health.services import alert_handle, checkin_record, observation_start
from epigrid.regions import rollups
from epigrid.regions.figures import figures
from epigrid.regions.legend import classes
from epigrid.regions.models import FigureDaily, Grid
from tests.health.conftest import make_resident


def _two_grids_of_a_street():
    grids = list(Grid.objects.filter(code__startswith="110101").order_by("code"))
    a = grids[0]
    b = next(g for g in grids[1:] if g.code[:9] == a.code[:9] and g.code[:12] != a.code[:12]) if any(
        g.code[:9] == a.code[:9] and g.code[:12] != a.code[:12] for g in grids[1:]) else grids[1]
    return a, b


def _observe(grid, n):
    return [observation_start(actor=SYSTEM, resident=make_resident(grid.code), kind="home", reason="arrival")
            for _ in range(n)]


def _node(grid_code, digits):
    return grid_code[:digits].ljust(12, "0")


def test_registered_figures_come_from_each_app():
    keys = [f.key for f in figures()]
    assert keys == ["observed", "alerts", "missed", "arrivals", "incidents", "overdue", "cases", "new_cases", "contacts"]


def test_three_observations_in_a_and_one_in_b_make_four_in_the_street(city):
    a, b = _two_grids_of_a_street()
    _observe(a, 3)
    _observe(b, 1)
    rollups.figures_rebuild()
    today = timezone.localdate()
    values = rollups.values_at(figure="observed", day=today,
                               codes=[a.code, b.code, _node(a.code, 9), _node(a.code, 6), _node(a.code, 4),
                                      _node(a.code, 12), "110102000000"])
    assert values[a.code] == 3 and values[b.code] == 1
    assert values[_node(a.code, 9)] == 4  # the street
    assert values[_node(a.code, 6)] == 4 and values[_node(a.code, 4)] == 4  # district, city
    assert values[_node(a.code, 12)] == (4 if a.code[:12] == b.code[:12] else 3)  # a's community
    assert values["110102000000"] == 0  # another district


def test_an_alert_opened_then_handled_counts_only_while_open(city):
    a, _ = _two_grids_of_a_street()
    (obs,) = _observe(a, 1)
    checkin, _ = checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="38.5", symptoms=[],
                                client_id="figure-test-1")
    rollups.figures_update()
    today = timezone.localdate()
    assert rollups.values_at(figure="alerts", day=today, codes=[_node(a.code, 6)])[_node(a.code, 6)] == 1
    alert_handle(actor=SYSTEM, alert_id=obs.alerts.get().pk)
    rollups.figures_update(now=timezone.now() + timedelta(seconds=1))
    assert rollups.values_at(figure="alerts", day=today, codes=[_node(a.code, 6)])[_node(a.code, 6)] == 0


def _snapshot(day):
    return sorted(FigureDaily.objects.filter(day=day).values_list("figure", "node_code", "level", "value"))


def test_the_incremental_update_equals_a_rebuild_from_scratch(city):
    from epigrid.demo.people import demo_people_build
    from epigrid.demo.services import demo_users_create

    start = timezone.now()
    assert rollups.figures_update(now=start) == "full"  # the day's first run: nothing yet
    today = timezone.localdate()
    assert _snapshot(today) == []
    demo_users_create()
    demo_people_build(seed=1)  # residents, arrivals, observations, check-ins, alerts, incidents: all audited
    a, b = _two_grids_of_a_street()
    obs = _observe(b, 2)
    alert_handle(actor=SYSTEM, alert_id=checkin_record(
        actor=SYSTEM, observation=obs[0], slot="am", temperature="39.0", symptoms=[],
        client_id="figure-test-2")[0].alerts.get().pk)
    later = timezone.now() + timedelta(seconds=5)
    assert rollups.figures_update(now=later) == "incremental"
    incremental = _snapshot(today)
    figures_seen = {row[0] for row in incremental}
    assert {"observed", "alerts", "arrivals", "incidents"} <= figures_seen
    rollups.figures_rebuild(now=later)
    assert _snapshot(today) == incremental


def test_the_command_rebuilds_today_and_yesterday(city, capsys):
    from django.core.management import call_command

    _observe(_two_grids_of_a_street()[0], 2)
    call_command("figures_rebuild", days=2)
    out = capsys.readouterr().out
    today = timezone.localdate()
    assert f"{today}:" in out and f"{today - timedelta(days=1)}:" in out
    assert FigureDaily.objects.filter(day=today, figure="observed", level="grid").get().value == 2
    # Started today: yesterday held no one under observation.
    assert not FigureDaily.objects.filter(day=today - timedelta(days=1), figure="observed").exists()


@pytest.mark.parametrize("values, labels", [
    ([0, 0, 1, 2, 3, 10, 25], ["0", "1–2", "3", "4–10", "11–25"]),
    ([0, 0, 0], ["0"]),
    ([5, 5, 5], ["5"]),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ["1–2", "3–4", "5–6", "7–8", "9–10"]),
    ([0.25, 1.5, 3.75], ["0.25", "0.25–1.5", "1.5–3.75"]),
])
def test_legend_classes_are_real_ranges(values, labels):
    found = classes(values)
    assert [c["label"] for c in found] == labels
    for c in found:
        assert c["min"] <= c["max"]
        assert not (c["min"] == c["max"] and "–" in c["label"])  # never "0 – 0"
    # Every value falls in exactly the class whose range holds it.
    for v in values:
        holding = [c for c in found if c["min"] <= v <= c["max"]]
        assert holding and holding[0] == next(c for c in found if v <= c["max"])


def test_a_person_who_moves_is_recounted_in_both_grids(city):
    """The move is audited in the new grid; the observation that follows the person also in the old one,
    so the task recounts both (ten minutes on, out of reach of the earlier rows' overlap)."""
    from datetime import datetime, time

    import time_machine

    from epigrid.residents.services import resident_update

    a, b = _two_grids_of_a_street()
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))  # no midnight in between
    with time_machine.travel(noon, tick=False):
        (obs,) = _observe(a, 1)
        rollups.figures_update()
    with time_machine.travel(noon + timedelta(minutes=10), tick=False):
        rollups.figures_update()  # a run with nothing new: the start's audit row is now out of the window
    with time_machine.travel(noon + timedelta(minutes=20), tick=False):
        resident_update(actor=SYSTEM, uid=obs.resident.uid, data={"grid_code": b.code})
        assert rollups.figures_update() == "incremental"
        today = timezone.localdate()
        values = rollups.values_at(figure="observed", day=today, codes=[a.code, b.code])
        assert values == {a.code: 0, b.code: 1}
        incremental = _snapshot(today)
        rollups.figures_rebuild()
        assert _snapshot(today) == incremental
