"""The page crawler: every demo user, in Chinese and in English, follows every link reachable from the
home page (bounded) over the demo's data (check-ins with fever, alerts, photos, a closed incident, a
patrol track, a record match). Every page answers 200, 302, 403 or 404, never a 500.

A new page is crawled as soon as a link reaches it; a page that only a script opens (a patrol's track) is
a seed below. A new module adds its demo data to demo/people.py and its script-only pages to `seeds`."""

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.test import Client

from epigrid.accounts.models import User
from epigrid.demo.people import demo_people_build
from epigrid.demo.services import demo_users_create
from epigrid.residents.models import ResidentMatch

HREF = re.compile(r'''(?:href|src)="([^"]+)"''')
SKIP = ("/logout", "/i18n/", "/admin/", "/static/", "/api/v1/docs")
# One page per kind is enough to meet its template with data: ids and codes are folded to a pattern.
SAME_KIND = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+")
PER_KIND = 3
MAX_PAGES = 250
ALLOWED = {200, 302, 403, 404}


@pytest.fixture
def demo(city):
    users = demo_users_create()
    demo_people_build()
    return {username: role for username, role, _code, _name in users}


def seeds() -> list[str]:
    from epigrid.epi.models import TrajectoryEntry
    from epigrid.patrol.models import Patrol

    return [f"/patrol/patrols/{pk}/" for pk in Patrol.objects.values_list("pk", flat=True)] + [
        # A trajectory entry's "who was met there" with a name searched (its case's page links it bare).
        *(f"/epi/trajectory/{uid}/exposures/?q=张" for uid in TrajectoryEntry.objects.values_list("uid", flat=True)[:3])]


def crawl(username: str, language: str) -> dict[str, int]:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    seen: dict[str, int] = {}
    kinds: Counter = Counter()
    queue = deque(["/", *seeds()])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        assert response.status_code in ALLOWED, f"{username} ({language}) GET {url}: {response.status_code}"
        if response.status_code == 302:
            target = response["Location"]
            if urlsplit(target).netloc == "" and not target.startswith("/login"):
                queue.append(target)
            continue
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for href in HREF.findall(response.content.decode()):
            link = urldefrag(urljoin(url, href.replace("&amp;", "&")))[0]
            parts = urlsplit(link)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path in seen or path.startswith(SKIP):
                continue
            kind = SAME_KIND.sub("#", path)
            if kinds[kind] < PER_KIND:
                kinds[kind] += 1
                queue.append(path)
    return seen


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_every_role_answers(demo, language):
    for username in demo:
        seen = crawl(username, language)
        assert seen["/"] == 200, username


def test_the_crawler_reaches_the_deep_pages(demo):
    """The crawl means something only if it meets the pages with data: the community worker's walk
    reaches a resident, an observation with check-ins, an incident with photos, a closed incident,
    a patrol's track, a record match, the photos and the exports."""
    seen = crawl("community", "zh-hans")
    visited = {SAME_KIND.sub("#", url) for url, status in seen.items() if status == 200}
    for kind in ("/residents/#/", "/health/observations/#/", "/patrol/incidents/#/", "/patrol/patrols/#/",
                 "/residents/matches/", "/arrivals/", "/api/v#/incident-photos/#", "/patrol/kpis/?within=#&format=xlsx"):
        assert kind in visited, f"no page of kind {kind} reached: {sorted(visited)}"
    match = ResidentMatch.objects.get(status=ResidentMatch.Status.PENDING)
    client = Client()
    client.force_login(User.objects.get(username="community"))
    assert f"/residents/matches/{match.uid}/" in client.get("/residents/matches/").content.decode()


def test_the_crawler_reaches_the_tracing_pages(demo):
    """The epidemiologist's walk meets the tracing pages with the demo outbreak's data: cases, their forms,
    contacts, tasks; the grid worker's walk reaches their own tracing tasks and a contact."""
    seen = crawl("epidemiologist", "zh-hans")
    visited = {SAME_KIND.sub("#", url) for url, status in seen.items() if status == 200}
    for kind in ("/epi/cases/", "/epi/cases/#/", "/epi/cases/new/", "/epi/cases/#/edit/", "/epi/cases/#/exposures/new/",
                 "/epi/cases/#/links/new/", "/epi/cases/#/trajectory/new/", "/epi/contacts/", "/epi/contacts/#/",
                 "/epi/tasks/"):
        assert kind in visited, f"no page of kind {kind} reached: {sorted(visited)}"
    seen = crawl("gridworker", "en")
    visited = {SAME_KIND.sub("#", url) for url, status in seen.items() if status == 200}
    for kind in ("/epi/tasks/mine/", "/epi/contacts/#/", "/epi/cases/"):
        assert kind in visited, f"no page of kind {kind} reached: {sorted(visited)}"
