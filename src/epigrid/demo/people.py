"""Demo people and events for the first community of 东城区: residents, arrivals that started home
observations, today's check-ins (one with fever) and incidents at several steps of their workflow.
Deterministic for a seed; built through the real services, as users would create them."""

from __future__ import annotations

import datetime

import numpy as np
import shapely
from django.utils import timezone
from stdnum.cn import ric

from epigrid.accounts.models import User
from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Grid
from epigrid.residents.arrivals import arrival_policy_set, arrival_register
from epigrid.residents.models import Resident
from epigrid.residents.services import resident_create

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰玉萍红霞"
TAGS = ["", "", "", "独居老人", "慢性病", "残疾", "孕妇", "低保"]


def _id_number(rng, region: str = "110101") -> str:
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=int(rng.integers(0, 80 * 365)))
    body = f"{region}{birth:%Y%m%d}{int(rng.integers(0, 1000)):03d}"
    return body + ric.calc_check_digit(body + "0")


def _point_in(grid: Grid, rng) -> tuple[float, float]:
    geom = shapely.from_geojson(grid.geometry)
    west, south, east, north = geom.bounds
    while True:
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if shapely.contains_xy(geom, lon, lat):
            return round(float(lon), 6), round(float(lat), 6)


def demo_people_build(*, seed: int = 1, residents: int = 40) -> dict:
    """Create the demo's people and events unless there are residents already; returns counts."""
    if Resident.objects.exists():
        return {}
    from epigrid.health.models import Observation
    from epigrid.health.services import checkin_record
    from epigrid.patrol.services import incident_dispatch, incident_register, incident_report

    rng = np.random.default_rng(seed)
    grids = list(Grid.objects.filter(code__startswith="110101001001").order_by("code"))
    community = grids[0].community
    for i in range(residents):
        grid = grids[i % len(grids)]
        lon, lat = _point_in(grid, rng)
        name = SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
            GIVEN[int(j)] for j in rng.integers(len(GIVEN), size=int(rng.integers(1, 3))))
        resident_create(actor=SYSTEM, data={
            "name": name, "id_number": _id_number(rng), "phone": f"138{int(rng.integers(0, 10**8)):08d}",
            "address": f"{int(rng.integers(1, 20))}号楼{int(rng.integers(1, 6))}单元{int(rng.integers(101, 1802))}",
            "lon": lon, "lat": lat, "tags": TAGS[int(rng.integers(len(TAGS)))]})

    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["湖北省", "武汉市"], observe_all=False,
                       days=14)
    today = timezone.localdate()
    for i, (province, city) in enumerate([("湖北省", "武汉市"), ("湖北省", "孝感市"), ("广东省", "广州市"),
                                          ("湖北省", "黄冈市"), ("河北省", "石家庄市")]):
        lon, lat = _point_in(grids[0], rng)  # the demo grid worker's grid, so "my grid today" shows them
        arrival_register(actor=SYSTEM, community_code=community.code, client="demo", today=today, data={
            "name": SURNAMES[i] + GIVEN[i], "id_type": "ric", "id_number": _id_number(rng), "consent": True,
            "phone": f"139{int(rng.integers(0, 10**8)):08d}", "address": f"{i + 1}号楼1单元{101 + i}",
            "origin_province": province, "origin_city": city, "transport": "train", "transport_number": f"G{500 + i}",
            "arrival_date": (today - datetime.timedelta(days=i)).isoformat(), "temperature": "36.5",
            "lon": lon, "lat": lat})

    worker = User.objects.filter(username="gridworker").first()
    for i, observation in enumerate(Observation.objects.filter(status="active").order_by("id")):
        fever = i == 0
        checkin_record(actor=worker, observation=observation, slot="am", temperature="38.2" if fever else "36.6",
                       symptoms=["fever", "cough"] if fever else [], client_id=f"demo-{seed}-{observation.pk}-am")

    commander = User.objects.filter(username="commander").first()
    reports = [("no_mask", "卡口有人未戴口罩"), ("supplies_needed", "独居老人需要代购生活物资"),
               ("gathering", "小区广场有人聚集打牌"), ("sanitation", "垃圾桶满溢未清运")]
    for i, (category, text) in enumerate(reports):
        lon, lat = _point_in(grids[0], rng)
        incident = incident_report(actor=worker, category=category, description=text, lon=lon, lat=lat,
                                   client_id=f"demo-{seed}-incident-{i}")
        if i < 2 and commander is not None:
            incident_register(actor=commander, incident_id=incident.pk, comment="")
            if i == 0:
                incident_dispatch(actor=commander, incident_id=incident.pk, assignee="gridworker")
    return {"residents": Resident.objects.count(), "observations": Observation.objects.count(),
            "incidents": len(reports)}
