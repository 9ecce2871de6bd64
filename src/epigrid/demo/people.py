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
from epigrid.core.principals import PUBLIC, SYSTEM
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


def demo_people_build(*, seed: int = 1, residents: int = 40, outbreak_cases: int = 12) -> dict:
    """Create the demo's people and events unless there are residents already, and an outbreak of
    `outbreak_cases` cases (demo/outbreak.py); returns counts."""
    if Resident.objects.exists():
        return {}
    from epigrid.health.models import Observation
    from epigrid.health.services import checkin_record
    from epigrid.patrol.models import Incident
    from epigrid.patrol.services import (
        incident_add_photo,
        incident_dispatch,
        incident_register,
        incident_report,
    )

    rng = np.random.default_rng(seed)
    grids = list(Grid.objects.filter(code__startswith="110101001001").order_by("code"))
    community = grids[0].community
    id_numbers = []
    for i in range(residents):
        grid = grids[i % len(grids)]
        lon, lat = _point_in(grid, rng)
        name = SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
            GIVEN[int(j)] for j in rng.integers(len(GIVEN), size=int(rng.integers(1, 3))))
        id_numbers.append(_id_number(rng))
        resident_create(actor=SYSTEM, data={
            "name": name, "id_number": id_numbers[-1], "phone": f"138{int(rng.integers(0, 10**8)):08d}",
            "address": f"{int(rng.integers(1, 20))}号楼{int(rng.integers(1, 6))}单元{int(rng.integers(101, 1802))}",
            "lon": lon, "lat": lat, "tags": TAGS[int(rng.integers(len(TAGS)))]})

    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False,
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

    lon, lat = _point_in(grids[0], rng)
    arrival_register(actor=PUBLIC, community_code=community.code, client="demo", today=today, data={
        "name": "王伟", "id_type": "ric", "id_number": id_numbers[0],
        "consent": True, "phone": "13900000000", "address": "1号楼1单元101", "origin_province": "北京市",
        "origin_city": "北京市", "transport": "car", "transport_number": "", "arrival_date": today.isoformat(),
        "temperature": "36.4", "lon": lon, "lat": lat})

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
            else:
                incident_add_photo(actor=commander, incident_id=incident.pk, photo=_photo())
    if worker is not None and commander is not None:
        _closed_loop(worker, commander, _point_in(grids[0], rng), seed)
        _patrol(worker, grids[0], rng)
    from .outbreak import demo_outbreak_build

    outbreak = demo_outbreak_build(seed=seed, cases=outbreak_cases)
    return {"residents": Resident.objects.count(), "observations": Observation.objects.count(),
            "incidents": Incident.objects.count(), **outbreak}


def _photo() -> bytes:
    """A small JPEG, as a phone would send."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _closed_loop(worker, commander, point, seed: int) -> None:
    """One incident through every step: reported, registered, dispatched, handled, verified, closed, rated."""
    from epigrid.patrol import services as s

    incident = s.incident_report(actor=worker, category="sanitation", description="楼道堆放杂物", lon=point[0],
                                 lat=point[1], client_id=f"demo-{seed}-incident-loop")
    s.incident_register(actor=commander, incident_id=incident.pk, comment="")
    s.incident_dispatch(actor=commander, incident_id=incident.pk, assignee="gridworker")
    s.incident_handle(actor=worker, incident_id=incident.pk, result="已清理", photos=[_photo()])
    s.incident_verify(actor=commander, incident_id=incident.pk, passed=True, comment="")
    s.incident_close(actor=commander, incident_id=incident.pk, comment="")
    s.incident_evaluate(actor=commander, incident_id=incident.pk, rating=5, comment="")


def _patrol(worker, grid: Grid, rng) -> None:
    """A finished patrol of the worker's grid, with a track of a few points an hour ago."""
    from epigrid.patrol.services import patrol_add_points, patrol_end, patrol_start

    started = timezone.now() - datetime.timedelta(hours=1)
    patrol = patrol_start(actor=worker, grid_code=grid.code, started_at=started)
    points = [{"lon": lon, "lat": lat, "t": started + datetime.timedelta(minutes=5 * i),
               "accuracy": 10} for i, (lon, lat) in enumerate(_point_in(grid, rng) for _ in range(6))]
    patrol_add_points(actor=worker, patrol_id=patrol.pk, points=points)
    patrol_end(actor=worker, patrol_id=patrol.pk, ended_at=started + datetime.timedelta(minutes=40))
