"""Transmission chains and clusters at the scale of issue 11: a synthetic city outbreak of 20,000 cases and
100,000 contacts with their exposures (and infector links), on the small demo city's Beijing grids.

Prints one JSON line per figure:
  chain_3hops_ms_median / _p99    chains.chain_of(up=3, down=3) of random persons (cases and contacts),
                                  in process (server time), as an epidemiologist of the whole city
  chain_floor_ms_median / _p99    the floor: one bare indexed statement (a person's exposures)
  chains_recompute_s              every case's chain, generation and source flag, all rows rewritten
  chains_recompute_again_s        the same with nothing changed (nothing written)
  clusters_propose_s              every cluster of the city proposed from none
  clusters_propose_again_s        proposed again (idempotent: nothing new)
  city_graph_s                    the two together (recompute + proposals): the goal is under 3 s
  edges_read_floor_s              the floor: the city's exposures read in one bare statement
  cluster_graph_nodes             nodes of the largest cluster's graph (cases and contacts; at least 2,000)
  cluster_graph_api_ms            its JSON (GET /api/v1/clusters/{uid}/graph) over HTTP, median of 5
  cluster_graph_draw_ms           Debian's chromium (Playwright): from navigation to ECharts' `finished`
  cluster_graph_draw_floor_ms     the same page for the smallest cluster (the floor)
Goals: chain < 10 ms, recompute < 3 s, draw < 3 s.

The pages and API are served by `epigrid serve`, measured over real HTTP.

Data: its own directory, var/bench/chains (BENCH_VAR_DIR moves var/bench), built once with bare
INSERTs and reused; EPIGRID_DATABASE_URL is honoured (give it a database of its own).
Run: .venv/bin/python bench/chains.py
"""

import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from _server import bench_var_dir, emit, free_port, request, serve, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["EPIGRID_VAR_DIR"] = bench_var_dir("chains")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epigrid.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection  # noqa: E402

from epigrid.accounts.models import User  # noqa: E402
from epigrid.accounts.roles import Role  # noqa: E402
from epigrid.accounts.services import token_create, user_add  # noqa: E402
from epigrid.core.principals import SYSTEM  # noqa: E402
from epigrid.demo.services import demo_city_build  # noqa: E402
from epigrid.epi.chains import chain_of, chains_recompute  # noqa: E402
from epigrid.epi.clusters import clusters_propose, place_key  # noqa: E402
from epigrid.epi.models import Case, Cluster, Contact, Exposure, Link  # noqa: E402
from epigrid.regions.models import Grid  # noqa: E402
from epigrid.residents.models import Household, Resident  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "20000"))
EXPOSURES = CASES * 5  # 100,000: each exposed person is a contact record
SEEDS = CASES // 10  # index cases: no known source
MARKET = 450  # cases of one market cluster: with their contacts, a graph of more than 2,000 nodes
CITY = "1101"
DAY0 = date(2026, 6, 1)
PASSWORD = "bench horse battery staple"
CHAIN_SAMPLES = int(os.environ.get("BENCH_CHAIN_SAMPLES", "400"))


def insert(model, objs) -> None:
    """Rows with their ids in bare executemany INSERTs (bulk_create is many times slower, DESIGN.md)."""
    fields = model._meta.concrete_fields
    q = connection.ops.quote_name
    sql = (f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    rows = [[f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields] for o in objs]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start:start + 5000])


def next_id(model) -> int:
    last = model.objects.order_by("-id").values_list("id", flat=True).first()
    return (last or 0) + 1


class Outbreak:
    """The synthetic outbreak, built in memory, then inserted table by table."""

    def __init__(self, grids):
        self.rng = random.Random(11)
        self.grids = grids
        self.ids = {m: next_id(m) for m in (Resident, Household, Case, Contact, Exposure, Link)}
        self.rows = {m: [] for m in self.ids}
        self.contact_of = {}

    def make(self, model, **fields):
        obj = model(id=self.ids[model], **fields)
        self.ids[model] += 1
        self.rows[model].append(obj)
        return obj

    def person(self, grid: str, household=None, name: str = ""):
        if household is None:
            household = self.make(Household, grid_code=grid, address="")
        n = self.ids[Resident]
        return self.make(Resident, uid=uuid.uuid4(), grid_code=grid, city_code=grid[:4], household_id=household.id,
                         name=name or f"人{n}", source="import")

    def expose(self, source, source_case, person, setting, place, day, degree=1, became=None):
        contact = self.contact_of.get(person.id)
        if contact is None:
            contact = self.contact_of[person.id] = self.make(
                Contact, uid=uuid.uuid4(), resident_id=person.id, grid_code=person.grid_code, city_code=CITY,
                degree=degree, status="became_case" if became else "managed", last_exposure=day,
                management_end=day + timedelta(days=14), rule="bench", case_id=became.id if became else None)
        self.make(Exposure, uid=uuid.uuid4(), source_id=source.id, source_case_id=source_case.id if source_case else None,
                  person_id=person.id, contact_id=contact.id, grid_code=person.grid_code, setting=setting, place=place,
                  place_key=place_key(setting, place), first_date=day - timedelta(days=1), last_date=day)

    def case(self, person, day, k):
        return self.make(Case, uid=uuid.uuid4(), number=f"B-{k:06d}", city_code=CITY, resident_id=person.id,
                         grid_code=person.grid_code, reporting_code=person.grid_code[:6] + "000000",
                         classification="confirmed" if k % 5 else "asymptomatic", onset_date=day, report_date=day)

    def setting(self):
        r = self.rng.random()
        if r < 0.4:
            return "household", ""
        # A city's places: workplaces, shops and venues, gatherings, trains and buses by number.
        if r < 0.6:
            return "workplace", f"公司{self.rng.randrange(20000)}"
        if r < 0.85:
            return "venue", f"场所{self.rng.randrange(40000)}"
        if r < 0.95:
            return "gathering", f"聚会{self.rng.randrange(30000)}"
        return "transport", f"G{self.rng.randrange(5000)}"

    def build(self):
        rng, cases, people, days = self.rng, [], [], []
        for k in range(CASES):
            market = SEEDS <= k < SEEDS + MARKET
            if k < SEEDS:
                setting, day, infector = None, DAY0 + timedelta(days=rng.randrange(100)), None
            elif market:
                infector = rng.randrange(SEEDS - 50, k)  # the market's first sellers, then its buyers
                setting, place = "venue", "中心农贸市场"
                day = DAY0 + timedelta(days=30 + (k - SEEDS) // 12)
            else:
                infector = rng.randrange(max(0, k - 4000), k)
                setting, place = self.setting()
                day = days[infector] + timedelta(days=rng.randint(2, 7))
            source = people[infector] if infector is not None else None
            if setting == "household":
                person = self.person(source.grid_code, household=Household(id=source.household_id))
            else:
                person = self.person(rng.choice(self.grids))
            case = self.case(person, day, k)
            cases.append(case)
            people.append(person)
            days.append(day)
            if source is not None:
                self.expose(source, cases[infector], person, setting, place, day, became=case)
                if rng.random() < 0.6:
                    self.make(Link, uid=uuid.uuid4(), infector_id=cases[infector].id, infectee_id=case.id,
                              grid_code=person.grid_code, evidence="epidemiological")
        # Contacts: the rest of the exposures, from cases (a market case exposes 5), 10% of them 次密接.
        order = list(range(SEEDS, SEEDS + MARKET)) * 5
        contacts = []
        while len(self.rows[Exposure]) < EXPOSURES:
            if order:
                k = order.pop()
            else:
                k = rng.randrange(CASES)
            if contacts and rng.random() < 0.1:
                source, source_case, degree, day = rng.choice(contacts), None, 2, days[k]
            else:
                source, source_case, degree, day = people[k], cases[k], 1, days[k]
            setting, place = self.setting()
            household = Household(id=source.household_id) if setting == "household" else None
            person = self.person(source.grid_code if household else rng.choice(self.grids), household=household)
            self.expose(source, source_case, person, setting, place, day, degree=degree)
            contacts.append(person)
        for model in (Household, Resident, Case, Contact, Exposure, Link):
            insert(model, self.rows[model])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Resident, Case, Contact,
                                                                          Exposure, Link]):
                    cursor.execute(sql)


def prepare():
    call_command("migrate", verbosity=0)
    if not Grid.objects.filter(code__startswith="1101").exists():
        demo_city_build(scale="small")
    if Case.objects.filter(city_code=CITY).count() < CASES:
        started = time.perf_counter()
        grids = list(Grid.objects.filter(code__startswith=CITY).values_list("code", flat=True))
        Outbreak(grids).build()
        with connection.cursor() as cursor:  # the planner's statistics, as a database in service has them
            cursor.execute("ANALYZE")
        print(f"# built {CASES} cases and {EXPOSURES} exposures in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
    if not User.objects.filter(username="benchepi").exists():
        user_add(actor=SYSTEM, username="benchepi", role=Role.EPIDEMIOLOGIST, node_code="110000000000",
                 password=PASSWORD)
    return User.objects.get(username="benchepi")


def ms(seconds: float) -> float:
    return seconds * 1000


def chain_figures(user):
    rng = random.Random(5)
    # Half cases, half contacts: a case's chain reaches further than a contact's.
    cases = list(Case.objects.filter(city_code=CITY).values_list("resident__uid", "resident_id"))
    contacts = list(Contact.objects.filter(city_code=CITY, case__isnull=True).values_list("resident__uid", "resident_id"))
    sample = [rng.choice((cases, contacts)[i % 2]) for i in range(CHAIN_SAMPLES)]
    times, floor, sizes = [], [], []
    with connection.cursor() as cursor:
        for uid, pk in sample:
            start = time.perf_counter()
            chain = chain_of(user=user, person_uid=uid, up=3, down=3)
            times.append(time.perf_counter() - start)
            sizes.append(len(chain["nodes"]))
            start = time.perf_counter()
            cursor.execute(f"SELECT id FROM {Exposure._meta.db_table} WHERE person_id = %s", [pk])
            cursor.fetchall()
            floor.append(time.perf_counter() - start)
    times.sort()
    emit("chain_3hops_ms_median", ms(statistics.median(times)), "ms")
    emit("chain_3hops_ms_p99", ms(times[int(len(times) * 0.99) - 1]), "ms")
    emit("chain_3hops_nodes_median", statistics.median(sizes), "nodes")
    emit("chain_floor_ms_median", ms(statistics.median(floor)), "ms")
    floor.sort()
    emit("chain_floor_ms_p99", ms(floor[int(len(floor) * 0.99) - 1]), "ms")  # the machine's own noise


def city_figures():
    Case.objects.filter(city_code=CITY).update(chain_root=None, chain_size=0, generation=None, no_known_source=False)
    start = time.perf_counter()
    counts = chains_recompute(city_code=CITY)
    recompute = time.perf_counter() - start
    emit("chains_recompute_s", recompute, "s")
    print(f"# {counts}", file=sys.stderr)
    start = time.perf_counter()
    chains_recompute(city_code=CITY)
    emit("chains_recompute_again_s", time.perf_counter() - start, "s")
    Cluster.objects.filter(city_code=CITY).delete()
    start = time.perf_counter()
    counts = clusters_propose(actor=SYSTEM, city_code=CITY)
    propose = time.perf_counter() - start
    emit("clusters_propose_s", propose, "s")
    print(f"# {counts}", file=sys.stderr)
    start = time.perf_counter()
    clusters_propose(actor=SYSTEM, city_code=CITY)
    emit("clusters_propose_again_s", time.perf_counter() - start, "s")
    emit("city_graph_s", recompute + propose, "s")
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT source_id, person_id FROM {Exposure._meta.db_table}")
        cursor.fetchall()
    emit("edges_read_floor_s", time.perf_counter() - start, "s")


def draw_figures(user):
    largest = Cluster.objects.filter(city_code=CITY).order_by("-case_count").first()
    smallest = Cluster.objects.filter(city_code=CITY).order_by("case_count").first()
    port = free_port()
    _, token = token_create(actor=SYSTEM, username=user.username, name="bench", days=1)
    proc = serve(port, token)
    try:
        times, nodes = [], 0
        for _ in range(5):
            took, status, body = request(port, "GET", f"/api/v1/clusters/{largest.uid}/graph", token)
            assert status == 200, (status, body[:300])
            times.append(took)
            nodes = body.count(b'"hop"')
        emit("cluster_graph_nodes", nodes, "nodes")
        emit("cluster_graph_api_ms", ms(statistics.median(times)), "ms")
        draw, floor = _draw(port, largest.uid), _draw(port, smallest.uid)
        emit("cluster_graph_draw_ms", draw, "ms")
        emit("cluster_graph_draw_floor_ms", floor, "ms")
    finally:
        stop(proc)


def _draw(port: int, uid) -> float:
    """Median of three: milliseconds from the navigation's start to the chart's first `finished`."""
    import shutil

    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login/")
        page.fill("#id_username", "benchepi")
        page.fill("#id_password", PASSWORD)
        page.click(".login button[type=submit]")
        page.wait_for_url(f"{base}/")
        figures = []
        for _ in range(3):
            page.goto(f"{base}/epi/clusters/{uid}/")
            page.wait_for_selector("#graph[data-ready='1']", timeout=60_000)
            figures.append(float(page.get_attribute("#graph", "data-drawn-ms")))
        browser.close()
    return statistics.median(figures)


def main():
    user = prepare()
    chain_figures(user)
    city_figures()
    draw_figures(user)


if __name__ == "__main__":
    main()
