"""Tracing in the browser: a fever alert becomes a suspected case in one click, the case is confirmed,
three contacts are recorded with their exposures, their observations reach the grid worker's phone, one
contact falls ill and becomes a case, and that case's page shows its infector. No console or CSP errors."""

from datetime import timedelta

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.epi.models import Case, Cluster, Contact, Link
from epigrid.epi.services.common import today_local
from epigrid.health.services import checkin_record, observation_start
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers
from epigrid.residents.services import resident_create
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, browser_page
from tests.e2e.test_browser import log_in
from tests.epi.conftest import id_number

pytestmark = pytest.mark.e2e


def _console_errors(page) -> list[str]:
    """Script errors and failed loads (the browser's own favicon request aside: no page asks for one)."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    return errors


def _setup():
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    user_add(actor=SYSTEM, username="gw", role="grid_worker", node_code=grid.code, password=PASSWORD)
    grid_set_workers(actor=SYSTEM, grid_code=grid.code, usernames=["gw"])
    user_add(actor=SYSTEM, username="epi", role="epidemiologist", node_code="110101000000", password=PASSWORD)
    people = [resident_create(actor=SYSTEM, data={"name": name, "id_number": id_number(500 + i),
                                                  "phone": f"1380000050{i}", "grid_code": grid.code})
              for i, name in enumerate(["发热甲", "同住乙", "同事丙"])]
    obs = observation_start(actor=SYSTEM, resident=people[0], kind="home", reason="arrival")
    checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="38.7", symptoms=["cough"],
                   client_id="e2e-tracing-fever")
    return grid, people, obs


def _add_contact(page, base, case, *, registered=None, new=None, setting="household"):
    page.goto(f"{base}/epi/cases/{case.uid}/exposures/new/")
    if registered:
        page.fill("#pick-q", registered)
        page.click("[data-testid=pick-search]")
        page.locator("[data-testid=candidate] input").first.check()
    else:
        page.check("[data-testid=who-new]")
        for field, value in new.items():
            page.fill(f"[name=p-{field}]", value)
    page.select_option("[name=setting]", setting)
    last = today_local() - timedelta(days=1)
    page.fill("[name=first_date]", (last - timedelta(days=1)).isoformat())
    page.fill("[name=last_date]", last.isoformat())
    page.click("[data-testid=save]")
    page.wait_for_url(f"{base}/epi/cases/{case.uid}/")


def test_from_a_fever_alert_to_a_chain_of_cases(live_city, browser):
    grid, people, obs = _setup()
    base = live_city.url
    with browser_page(browser, viewport={"width": 1280, "height": 800}, locale="zh-CN") as page:
        errors = _console_errors(page)
        log_in(page, base, "epi")
        # The fever alert on the observation page: one click makes a suspected case.
        page.goto(f"{base}/health/observations/{obs.uid}/")
        page.locator("[data-testid=suspected-case]").first.click()
        page.wait_for_url(f"{base}/epi/cases/*/")
        case = Case.objects.get(resident=people[0])
        assert case.classification == "suspected" and case.number in page.content()
        # Confirmed.
        page.click("[data-testid=case-reclassify]")
        page.select_option("[name=classification]", "confirmed")
        page.click("[data-testid=save]")
        page.wait_for_url(f"{base}/epi/cases/{case.uid}/")
        assert Case.objects.get(pk=case.pk).classification == "confirmed"
        # Three contacts: two registered people found by name, one not yet registered.
        _add_contact(page, base, case, registered="同住乙")
        _add_contact(page, base, case, registered="同事丙", setting="workplace")
        _add_contact(page, base, case, new={"name": "邻居丁", "id_number": id_number(599), "phone": "13800000599",
                                            "grid_code": grid.code}, setting="gathering")
        assert page.locator("[data-testid=exposure-row]").count() == 3
        assert Contact.objects.filter(status="managed").count() == 3
        assert errors == []

    # The grid worker's phone: the contacts are in "my grid today" and in the tracing tasks.
    with browser_page(browser, locale="zh-CN", **PHONE) as phone:
        errors = _console_errors(phone)
        log_in(phone, base, "gw")
        phone.goto(f"{base}/health/today/")
        today = phone.content()
        assert all(name in today for name in ("同住乙", "同事丙", "邻居丁"))
        phone.goto(f"{base}/epi/tasks/mine/")
        cards = phone.locator("[data-testid=task]")
        assert cards.count() == 9
        first = cards.first
        first.locator("input[name=result]").fill("已电话联系")
        first.locator("[data-testid=task-done]").click()
        phone.wait_for_selector("[data-testid=task-status]")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == []

    # One contact falls ill: reported as a case, linked to the index case by the exposure.
    with browser_page(browser, viewport={"width": 1280, "height": 800}, locale="zh-CN") as page:
        errors = _console_errors(page)
        log_in(page, base, "epi")
        page.goto(f"{base}/epi/cases/new/")
        page.fill("#pick-q", "同住乙")
        page.click("[data-testid=pick-search]")
        page.locator("[data-testid=candidate] input").first.check()
        page.select_option("[name=classification]", "confirmed")
        page.click("[data-testid=save]")
        page.wait_for_url(f"{base}/epi/cases/*/")
        second = Case.objects.get(resident=people[1])
        assert Link.objects.filter(infector=case, infectee=second).exists()
        infectors = page.locator("[data-testid=infector]")
        assert infectors.count() == 1 and case.number in infectors.inner_text()
        assert Contact.objects.get(resident=people[1]).status == "became_case"
        assert errors == []

        # The chain of the index case shows both generations: the index case, and the contact who became
        # a case one hop down; the graph draws.
        page.goto(f"{base}/epi/chains/{people[0].uid}/")
        page.wait_for_selector("#graph[data-ready='1']")
        chain = page.request.get(f"{base}/api/v1/chains/{people[0].uid}").json()
        cases = {n["case"]: n["hop"] for n in chain["nodes"] if n["case"]}
        assert cases == {str(case.uid): 0, str(second.uid): 1}, chain["nodes"]
        # A cluster is proposed from the two cases' shared household exposure, and confirmed by name.
        page.goto(f"{base}/epi/clusters/")
        page.click("[data-testid=propose]")
        page.wait_for_selector("[data-testid=cluster]")
        page.locator("[data-testid=cluster] a").first.click()
        page.wait_for_url(f"{base}/epi/clusters/*/")
        assert page.locator("[data-testid=case-count]").inner_text() == "2"
        page.fill("form[action$='/confirm/'] input[name=name]", "同住家庭聚集")
        page.click("[data-testid=confirm]")
        page.wait_for_selector("[data-testid=status]")
        cluster = Cluster.objects.get()
        assert cluster.status == "confirmed" and cluster.name == "同住家庭聚集"
        assert errors == []
