"""Lists people work with (core/lists.py): sort by column, page numbers that keep the filters, names beside
codes, the print view, and the XLSX export (who may, what is masked, formulas neutralised, audited, and
nothing of another district)."""

import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook
from stdnum.cn import ric

from epigrid.accounts.roles import Role
from epigrid.accounts.services import user_add
from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.residents.services import resident_create
from tests.conftest import PASSWORD, XICHENG

NAMES = ["安", "白", "陈", "邓", "冯", "高", "韩", "黄", "金", "李", "刘", "马", "潘", "钱", "孙", "王", "吴", "徐", "杨", "张"]


def _id_number(seq):
    body = f"11010119800101{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def people(first_grid):
    """60 residents in one grid (three pages), every third one tagged elderly; names in pinyin order."""
    made = []
    for i in range(60):
        name = NAMES[i % 20] + "三四五"[i // 20]
        made.append(resident_create(actor=SYSTEM, data={
            "name": name, "id_number": _id_number(i + 1), "phone": f"138{i:08d}", "grid_code": first_grid.code,
            "tags": 1 if i % 3 == 0 else 0}))
    return made


def _client(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _names(response) -> list[str]:
    return re.findall(r'data-testid="resident-row"><td[^>]*><a href="[^"]+">([^<]+)</a>', response.content.decode())


def _sheet(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_sort_by_column_toggles_and_shows_the_current_sort(alice, people):
    client = _client(alice)
    page = client.get("/residents/", {"sort": "name"})
    names = _names(page)
    assert len(names) == 50
    assert names[:3] == ["安三", "安四", "安五"]  # by pinyin (an, bai, chen ...), ties on id
    html = page.content.decode()
    th = re.search(r'<th aria-sort="(\w+)" data-sort="name"><a href="([^"]+)"', html)
    assert th.group(1) == "ascending" and "sort=-name" in th.group(2)  # clicking again sorts descending
    down = _names(client.get("/residents/", {"sort": "-name"}))
    assert down[0].startswith("张") and down[-1] > "安"
    # a column the list does not sort by falls back to the default order, never an error
    assert client.get("/residents/", {"sort": "id_number_enc"}).status_code == 200


def test_pages_are_stable_and_numbered(alice, people):
    client = _client(alice)
    seen = []
    for number in (1, 2):
        seen += _names(client.get("/residents/", {"sort": "name", "page": number}))
    # 60 people named in 20 surnames x 3: the tie-break on id puts every one on exactly one page
    assert len(seen) == 60 and len(set(seen)) == 60
    html = client.get("/residents/", {"sort": "name"}).content.decode()
    assert 'aria-current="page">1<' in html and 'data-page="2"' in html
    assert re.search(r'data-testid="list-count">60 in all', html)


def test_paging_and_sorting_keep_the_filter(alice, people, first_grid):
    client = _client(alice)
    html = client.get("/residents/", {"tag": "elderly_alone", "sort": "-name"}).content.decode()
    assert "20 in all" in html  # every third of 60
    page_links = re.findall(r'href="([^"]*page=\d[^"]*)"', html)
    assert page_links == [] or all("tag=elderly_alone" in link for link in page_links)
    sort_links = re.findall(r'<th aria-sort="\w+" data-sort="\w+"><a href="([^"]+)"', html)
    assert sort_links and all("tag=elderly_alone" in link for link in sort_links)
    # and with more than one page: page 2 keeps the area and the sort
    html = client.get("/residents/", {"within": first_grid.code, "sort": "-name"}).content.decode()
    page2 = re.search(r'<a href="([^"]+)" data-page="2"', html).group(1).replace("&amp;", "&")
    assert f"within={first_grid.code}" in page2 and "sort=-name" in page2
    second = client.get(page2).content.decode()
    assert "page 2 of 2" in second and len(_names(client.get(page2))) == 10


def test_htmx_search_posts_keep_the_sort_and_never_put_a_phone_in_a_link(alice, people):
    client = _client(alice)
    phone = "13800000007"
    response = client.post("/residents/", {"q": phone, "sort": "-name"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert phone not in response["HX-Push-Url"] and "sort=-name" in response["HX-Push-Url"]
    html = response.content.decode()
    assert phone not in html.replace(f'value="{phone}"', "")  # only in the search box, never in a link
    links = re.findall(r'href="(/residents/\?[^"]+)"', html)
    assert links and all("s=" in link and phone not in link for link in links)


def test_names_beside_codes_in_one_query_per_page(alice, people, first_grid, django_assert_max_num_queries):
    client = _client(alice)
    html = client.get("/residents/").content.decode()
    assert first_grid.name in html and first_grid.community.name in html
    with django_assert_max_num_queries(14):  # the same for 50 rows as for 5: no query per row
        client.get("/residents/")


def test_print_view_has_no_navigation(alice, people):
    html = _client(alice).get("/residents/", {"print": "1", "tag": "elderly_alone"}).content.decode()
    assert 'class="printing"' in html
    assert 'data-testid="list-tools"' not in html and 'data-page=' not in html
    assert len(_names(_client(alice).get("/residents/", {"print": "1"}))) == 60  # all rows, not one page


def test_export_is_masked_without_a_reason_and_audited_with_its_filter(alice, people):
    rows = _sheet(_client(alice).get("/residents/", {"export": "xlsx", "tag": "elderly_alone", "sort": "name"}))
    assert rows[0][:3] == ["Name", "ID number", "Mobile phone"]  # the page's language
    assert len(rows) == 1 + 20
    assert all(re.fullmatch(r"110101\*{8}\d{3}[\dX]", r[1]) for r in rows[1:])
    assert all(re.fullmatch(r"138\*{4}\d{4}", r[2]) for r in rows[1:])
    event = AuditEvent.objects.get(action="list.export")
    assert event.actor_name == "alice" and event.object_type == "residents"
    assert event.changes["filter"] == {"tag": "elderly_alone"} and event.changes["rows"] == 20
    assert event.changes["sort"] == "name" and event.changes["full_rows"] == 0


def test_export_in_full_with_a_reason_for_a_role_that_may_reveal(alice, people):
    client = _client(alice)
    refused = client.post("/residents/?export=xlsx&tag=elderly_alone", {"full": "1", "purpose": "contact", "reason": "ok"})
    assert refused.status_code == 400 and not AuditEvent.objects.filter(action="list.export").exists()
    response = client.post("/residents/?export=xlsx&tag=elderly_alone",
                           {"full": "1", "purpose": "contact", "reason": "通知老人明早上门接种"})
    rows = _sheet(response)
    assert {r[1] for r in rows[1:]} == {_id_number(i + 1) for i in range(0, 60, 3)}
    assert all(re.fullmatch(r"\d{17}[\dX]", r[1]) for r in rows[1:])
    assert all(re.fullmatch(r"138\d{8}", r[2]) for r in rows[1:])
    event = AuditEvent.objects.get(action="list.export")
    assert event.reason.startswith("contact:") and event.changes["full_rows"] == 20


def test_roles_without_the_export_right_are_refused(gridworker, auditor, people):
    for user in (gridworker, auditor):
        response = _client(user).get("/residents/", {"export": "xlsx"})
        assert response.status_code == 403
        assert 'data-testid="list-export"' not in _client(user).get("/residents/").content.decode()
    assert not AuditEvent.objects.filter(action="list.export").exists()


def test_formulas_are_neutralised(alice, first_grid):
    resident_create(actor=SYSTEM, data={"name": "=HYPERLINK(\"http://x\")", "id_number": _id_number(99),
                                        "grid_code": first_grid.code})
    rows = _sheet(_client(alice).get("/residents/", {"export": "xlsx"}))
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")"


def test_export_above_the_limit_says_so(alice, people, monkeypatch):
    monkeypatch.setattr("epigrid.core.lists.EXPORT_MAX_ROWS", 10)
    response = _client(alice).get("/residents/", {"export": "xlsx"})
    assert response.status_code == 413
    assert "This list has 60 rows; an export holds at most 10" in response.content.decode()


@pytest.mark.parametrize("path,sorts", [
    ("/residents/", ("name", "-grid")),
    ("/arrivals/", ("name", "origin", "-arrival_date", "grid", "registered")),
    ("/health/observations/", ("name", "grid", "kind", "-start", "planned_end", "status")),
    ("/patrol/incidents/", ("id", "category", "state", "grid", "reported", "-deadline")),
    ("/audit/", ("at", "-user", "action", "object")),
])
def test_every_list_sorts_pages_prints_and_exports(district_demo, path, sorts):
    from epigrid.accounts.models import User

    client = _client(User.objects.get(username="commander"))
    for key in sorts:
        response = client.get(path, {"sort": key})
        assert response.status_code == 200, (path, key)
        assert f'data-sort="{key.lstrip("-")}"' in response.content.decode()
    assert client.get(path, {"print": "1"}).status_code == 200
    rows = _sheet(client.get(path, {"export": "xlsx", "sort": sorts[0]}))
    assert len(rows) > 1 and all(isinstance(h, str) and h for h in rows[0])


@pytest.fixture
def district_demo(city):
    from epigrid.demo.people import demo_people_build
    from epigrid.demo.services import demo_users_create

    demo_users_create()
    demo_people_build()  # its people, arrivals, observations and incidents are in 东城区
    user, _ = user_add(actor=SYSTEM, username="xicheng-lists", role=Role.DISTRICT_ADMIN, node_code=XICHENG,
                       password=PASSWORD)
    return user


@pytest.mark.parametrize("path,code_column", [
    ("/residents/", "Grid code"), ("/arrivals/", "Grid code"), ("/health/observations/?status=all", "Grid code"),
    ("/patrol/incidents/", "Grid code")])
def test_a_district_admins_export_holds_no_row_of_another_district(district_demo, path, code_column):
    from epigrid.accounts.models import User

    def codes(user):
        rows = _sheet(_client(user).get(path, {"export": "xlsx"}))
        column = rows[0].index(code_column)
        return [r[column] for r in rows[1:]]

    inside = codes(User.objects.get(username="dongcheng"))
    assert inside and all(c.startswith("110101") for c in inside)  # the demo's rows are there for 东城区
    outside = codes(district_demo)
    assert all(c.startswith("110102") for c in outside)
    assert not set(inside) & set(outside)


def test_the_export_header_is_in_the_pages_language(alice, people):
    rows = _sheet(_client(alice, language="zh-hans").get("/residents/", {"export": "xlsx"}))
    assert rows[0][:3] == ["姓名", "证件号码", "手机号"]  # as the page says them: a person's name is 姓名
    assert AuditEvent.objects.get(action="list.export").jurisdiction_code == "110101000000"


def test_the_audit_log_export_says_each_action_in_words(commander, people):
    client = _client(commander)
    _sheet(client.get("/residents/", {"export": "xlsx", "tag": "elderly_alone"}))
    rows = _sheet(client.get("/audit/", {"export": "xlsx", "action": "list.export"}))
    header = rows[0]
    assert len(rows) == 2
    assert rows[1][header.index("Action")] == "exported a list" and rows[1][header.index("User")] == "commander"
    html = client.get("/audit/", {"action": "list.export"}).content.decode()
    assert "exported a list" in html and "rows: 20" in html  # the row count in words, not a raw dict
