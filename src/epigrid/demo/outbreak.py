"""A small outbreak in 东城区 for the demo: imported index cases, a household cluster in the demo grid
worker's grid, a market cluster, chains a few generations deep, contacts under observation (so the grid
workers' lists hold some) and older ones released. Built through the real services by the demo
epidemiologist, deterministic for a seed; `cases` sets its size (the tests use a dozen, `epigrid demo`
a few hundred)."""

from __future__ import annotations

import datetime

import numpy as np
from django.utils import timezone

from epigrid.accounts.models import User
from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Grid
from epigrid.residents.services import resident_create

from .people import GIVEN, SURNAMES, _id_number, _point_in

VENUES = ["东四菜市场", "朝阳门银河SOHO", "王府井百货大楼", "北新桥健身房", "东直门地铁站"]
SETTINGS = ["workplace", "venue", "gathering", "transport"]
SERIAL_DAYS = (3, 4, 4, 5, 6)  # onset to onset, days (about the serial interval of the 2022 variants)


class _Outbreak:
    def __init__(self, seed: int, size: int):
        self.rng = np.random.default_rng(seed + 1000)
        self.size = size
        self.today = timezone.localdate()
        self.actor = User.objects.filter(username="epidemiologist").first() or SYSTEM
        self.grids = list(Grid.objects.filter(code__startswith="110101").order_by("code"))
        self.home = self.grids[0]  # the demo grid worker's grid
        self.people = 0
        self.cases = []  # (case, onset day)

    def person(self, grid: Grid, household: str = ""):
        rng = self.rng
        self.people += 1
        lon, lat = _point_in(grid, rng)
        name = SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
            GIVEN[int(j)] for j in rng.integers(len(GIVEN), size=int(rng.integers(1, 3))))
        return resident_create(actor=SYSTEM, data={
            "name": name, "id_number": _id_number(rng), "phone": f"137{int(rng.integers(0, 10**8)):08d}",
            "address": household or f"{int(rng.integers(1, 30))}号楼{int(rng.integers(1, 6))}单元", "lon": lon, "lat": lat,
            "household": household})

    def case(self, resident, onset: datetime.date, *, imported=False, source=None):
        from epigrid.epi.models import Link
        from epigrid.epi.services import case_create, case_update, link_create

        recent = (self.today - onset).days < 2
        roll = self.rng.random()
        classification = "suspected" if recent and roll < 0.5 else "asymptomatic" if roll < 0.2 else "confirmed"
        report = min(self.today, onset + datetime.timedelta(days=1))
        data = {"classification": classification, "report_date": report, "imported": imported,
                "found_by": "arrival" if imported else "observation" if source else "fever_clinic",
                "severity": "" if classification != "confirmed" else ["mild", "moderate", "moderate", "severe"][
                    int(self.rng.integers(4))]}
        if classification != "asymptomatic":
            data["onset_date"] = onset
        if classification != "suspected":
            data.update(sampling_date=report, diagnosis_date=report)
        case, _created = case_create(actor=self.actor, resident=resident, data=data)
        if source is not None and not Link.objects.filter(infectee=case).exists():
            link_create(actor=self.actor, infector=source.uid, infectee=case.uid, evidence="epidemiological")
        if classification != "suspected" and (self.today - onset).days > 16:
            case_update(actor=self.actor, uid=case.uid, data={"outcome": "recovered",
                                                              "outcome_date": onset + datetime.timedelta(days=15)})
        self.cases.append((case, onset))
        return case

    def spread(self, source, onset: datetime.date, setting: str, place: str, grid: Grid, count: int, infect: int,
               household: str = ""):
        """The source exposes `count` people in one setting; `infect` of them fall ill a serial interval later."""
        from epigrid.epi.services import exposure_record

        last = min(onset + datetime.timedelta(days=1), self.today)
        for i in range(count):
            resident = self.person(grid, household if setting == "household" else "")
            exposure_record(actor=self.actor, source_case=source, resident=resident, setting=setting, place=place,
                            first_date=last - datetime.timedelta(days=2), last_date=last)
            their_onset = onset + datetime.timedelta(days=int(self.rng.choice(SERIAL_DAYS)))
            if i < infect and len(self.cases) < self.size and their_onset <= self.today:
                yield self.case(resident, their_onset, source=source), their_onset

    def build(self) -> dict:
        # As long ago as the size needs (a dozen cases: the last nine days, so that their contacts are
        # still under observation; a few hundred: four weeks), a generation every serial interval.
        start = self.today - datetime.timedelta(days=min(28, 9 + self.size // 12))
        # Two imported index cases: one brings it into a household of the demo grid, one into a market.
        family = "东四北大街18号院3号楼2单元501"
        first = self.case(self.person(self.home, family), start, imported=True)
        market_grid = self.grids[3 % len(self.grids)]
        market = self.case(self.person(market_grid), start + datetime.timedelta(days=1), imported=True)
        # Where the first case went before isolation (活动轨迹): the market, where the second one caught it.
        from epigrid.epi.services import trajectory_add

        visit = timezone.make_aware(datetime.datetime.combine(start, datetime.time(9, 30)))
        trajectory_add(actor=self.actor, case=first, start=visit, end=visit + datetime.timedelta(minutes=40),
                       place=VENUES[0], setting="venue")
        frontier = list(self.spread(first, start, "household", family, self.home, 4, 3, household=family))
        frontier += list(self.spread(market, start + datetime.timedelta(days=1), "venue", VENUES[0], market_grid, 6, 3))
        # More imported cases over the first weeks, then chains generation by generation until the
        # outbreak has its size or reaches today.
        for _k in range(self.size // 25):
            onset = start + datetime.timedelta(days=int(self.rng.integers(0, 12)))
            frontier.append((self.case(self.person(self.grids[int(self.rng.integers(len(self.grids)))]), onset,
                                       imported=True), onset))
        while frontier and len(self.cases) < self.size:
            following = []
            for source, onset in sorted(frontier, key=lambda pair: pair[1]):
                grid = self.grids[int(self.rng.integers(len(self.grids)))]
                setting = SETTINGS[int(self.rng.integers(len(SETTINGS)))]
                place = VENUES[int(self.rng.integers(len(VENUES)))] if setting != "transport" else \
                    f"G{int(self.rng.integers(100, 999))}"
                following += list(self.spread(source, onset, setting, place, grid, int(self.rng.integers(3, 8)),
                                              int(self.rng.integers(1, 3))))
                if len(self.cases) >= self.size:
                    break
            frontier = following
        return {"cases": len(self.cases)}


def demo_outbreak_build(*, seed: int = 1, cases: int = 12) -> dict:
    """Build the outbreak unless there are cases already; returns counts."""
    from epigrid.epi.models import Case, Contact

    if cases <= 0 or Case.objects.exists():
        return {}
    outbreak = _Outbreak(seed, cases)
    built = outbreak.build()
    # Chains and cluster proposals as the scheduled task makes them; the household cluster confirmed and
    # named by the epidemiologist, the market's left proposed for a newcomer to decide.
    from epigrid.epi.chains import chains_recompute
    from epigrid.epi.clusters import cluster_confirm, clusters_propose
    from epigrid.epi.models import Cluster

    chains_recompute(city_code="1101")
    clusters_propose(actor=SYSTEM, city_code="1101")
    household = Cluster.objects.filter(setting="household", grid_code=outbreak.home.code).order_by("pk").first()
    if household is not None:
        cluster_confirm(actor=outbreak.actor, uid=household.uid, name="东四北大街18号院家庭聚集性疫情")
    return {**built, "contacts": Contact.objects.count(), "clusters": Cluster.objects.count()}
