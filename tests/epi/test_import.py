"""Importing cases and contacts from files: Chinese headers with their other names, GB18030, all or
nothing with every bad row reported, the importer's jurisdiction, duplicates, a managed contact extended
and not duplicated, secondary contacts, and a bulk-imported contact that looks exactly like one recorded
by hand (exposure_record)."""

import csv
import io
from datetime import timedelta

import pytest

from epigrid.core.errors import PermissionDenied
from epigrid.core.models import AuditEvent
from epigrid.epi.importing import cases_import, contacts_import
from epigrid.epi.models import Case, Contact, Exposure, TracingTask
from epigrid.epi.services import case_create, exposure_record
from epigrid.epi.services.common import today_local
from epigrid.health.models import HealthStatus, Observation
from epigrid.residents.models import Resident

from .conftest import id_number

TODAY = today_local()


def write(tmp_path, rows: list[dict], encoding="utf-8", name="f.csv"):
    headers = list(rows[0])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def days(n):
    return str(TODAY - timedelta(days=n))


@pytest.fixture
def source(epi, person):
    return case_create(actor=epi, resident=person("病例甲"), data={"classification": "confirmed"})[0]


def contact_row(resident_id_number, case_number="", **kw):
    row = {"传染源病例编号": case_number, "证件号码": resident_id_number, "接触方式": "家庭", "接触地点": "",
           "首次接触日期": days(3), "末次接触日期": days(1)}
    row.update(kw)
    return row


@pytest.fixture
def people(person, first_grid):
    """Registered people with known ID numbers: [(resident, id number)]."""
    from epigrid.core.principals import SYSTEM
    from epigrid.residents.services import resident_create

    def make(n, start=500, grid_code=None):
        out = []
        for i in range(start, start + n):
            number = id_number(i, (grid_code or first_grid.code)[:6])
            out.append((resident_create(actor=SYSTEM, data={"name": f"密接{i}", "id_number": number,
                                                             "grid_code": grid_code or first_grid.code}), number))
        return out
    return make


# -- cases ---------------------------------------------------------------------------------------------

def test_cases_with_chinese_headers_synonyms_and_words_in_gb18030(epi, people, first_grid, tmp_path):
    (known, known_number), = people(1)
    new_number = id_number(901)
    path = write(tmp_path, [
        {"身份证号码": known_number, "姓名": "", "联系电话": "", "网格编码": "", "病例分类": "确诊", "临床分型": "普通型",
         "发病日期": days(3), "确诊日期": days(1), "发现途径": "发热门诊", "是否输入": "否", "收治医院": "地坛医院"},
        {"身份证号码": new_number, "姓名": "新病例", "联系电话": "13900001111", "网格编码": first_grid.code,
         "病例分类": "无症状感染者", "临床分型": "", "发病日期": "", "确诊日期": days(0).replace("-", "/"),
         "发现途径": "社区筛查", "是否输入": "是", "收治医院": ""},
    ], encoding="gb18030")
    outcome = cases_import(actor=epi, path=path)
    assert outcome.written and outcome.encoding == "GB18030" and outcome.created == 2, outcome.errors
    first = Case.objects.get(resident=known)
    assert (first.classification, first.severity, first.found_by, first.imported, first.place) == (
        "confirmed", "moderate", "fever_clinic", False, "地坛医院")
    second = Case.objects.exclude(resident=known).get()
    assert (second.classification, second.imported, str(second.diagnosis_date)) == ("asymptomatic", True, days(0))
    assert second.resident.name == "新病例" and second.grid_code == first_grid.code
    assert AuditEvent.objects.filter(action="epi.import", changes__what="cases").exists()


def test_a_bad_case_row_stores_nothing_and_every_problem_is_reported(epi, people, tmp_path):
    (a, na), (b, nb), (c, nc) = people(3)
    path = write(tmp_path, [
        {"证件号码": na, "病例分类": "确诊", "发病日期": days(2)},
        {"证件号码": nb, "病例分类": "重症", "发病日期": str(TODAY + timedelta(days=2))},
        {"证件号码": nc, "病例分类": "确诊", "发病日期": "31/02/2026"},
        {"证件号码": na, "病例分类": "疑似", "发病日期": ""},
    ])
    outcome = cases_import(actor=epi, path=path)
    assert not outcome.written and outcome.created == 0 and Case.objects.count() == 0
    problems = [(e.row, e.column) for e in outcome.errors]
    assert (3, "病例分类") in problems and (4, "发病日期") in problems and (5, "证件号码") in problems
    reasons = {(e.row, e.column): e.reason for e in outcome.errors}
    assert reasons[(5, "证件号码")] == "duplicate of row 2"
    assert "YYYY-MM-DD" in reasons[(4, "发病日期")]


def test_the_services_date_rules_hold_in_a_case_file(epi, people, tmp_path):
    (a, na), = people(1)
    path = write(tmp_path, [{"证件号码": na, "病例分类": "确诊", "采样日期": days(1), "诊断日期": days(3),
                             "转归": "治愈出院", "转归日期": ""}])
    outcome = cases_import(actor=epi, path=path)
    reasons = {e.column: e.reason for e in outcome.errors}
    assert not outcome.written and "before the sampling date" in reasons["诊断日期"]
    assert "give the date of the outcome" in reasons["转归日期"]


def test_a_case_outside_the_importers_jurisdiction_is_an_error_naming_its_row(epi, people, xicheng_grid, tmp_path):
    (mine, nm), = people(1)
    (theirs, nt), = people(1, start=600, grid_code=xicheng_grid.code)
    path = write(tmp_path, [{"证件号码": nm, "病例分类": "确诊", "姓名": "", "网格编码": ""},
                            {"证件号码": nt, "病例分类": "确诊", "姓名": "", "网格编码": ""},
                            {"证件号码": id_number(777), "病例分类": "确诊", "姓名": "某人", "网格编码": xicheng_grid.code}])
    outcome = cases_import(actor=epi, path=path)
    assert not outcome.written and Case.objects.count() == 0
    assert {(e.row, e.column) for e in outcome.errors} == {(3, "姓名"), (3, "网格编码"), (4, "网格编码")}
    assert "jurisdiction" in outcome.errors[0].reason


def test_a_role_that_may_not_edit_tracing_cannot_import(alice, tmp_path):
    path = write(tmp_path, [{"证件号码": id_number(1), "病例分类": "确诊"}])
    with pytest.raises(PermissionDenied):
        cases_import(actor=alice, path=path)


# -- contacts ------------------------------------------------------------------------------------------

def test_a_bulk_imported_contact_is_the_one_exposure_record_makes(epi, source, people, worker, tmp_path):
    (by_hand, _n1), (imported, n2) = people(2)
    exposure_record(actor=epi, source_case=source, resident=by_hand, setting="household", first_date=TODAY - timedelta(3),
                    last_date=TODAY - timedelta(1))
    outcome = contacts_import(actor=epi, path=write(tmp_path, [contact_row(n2, source.number)]), job_id="j1")
    assert outcome.written and outcome.created == 1, outcome.errors

    def picture(resident):
        contact = Contact.objects.get(resident=resident)
        obs = Observation.objects.get(pk=contact.observation_id)
        exposure = Exposure.objects.get(person=resident)
        return (
            {k: getattr(contact, k) for k in ("grid_code", "city_code", "degree", "status", "last_exposure",
                                              "management_end", "rule", "case_id", "ended_at")},
            {k: getattr(obs, k) for k in ("grid_code", "kind", "reason", "start", "planned_end", "worker_id", "status")},
            {k: getattr(exposure, k) for k in ("source_id", "source_case_id", "source_contact_id", "grid_code",
                                               "setting", "place", "seat", "place_key", "first_date", "last_date",
                                               "notes", "created_by_id")},
            sorted((t.kind, t.assignee_id, t.status, t.escalation_level, t.overdue, t.grid_code)
                   for t in TracingTask.objects.filter(contact=contact)),
            HealthStatus.objects.get(resident=resident).colour,
        )

    assert picture(imported) == picture(by_hand)
    assert TracingTask.objects.filter(contact__resident=imported).first().assignee == worker
    summary = AuditEvent.objects.get(action="epi.import", jurisdiction_code=imported.grid_code)
    assert summary.object_id == "j1" and summary.changes == {"what": "contacts", "exposures": 1}


def test_a_contact_already_managed_is_extended_not_duplicated(epi, source, people, person, tmp_path):
    (resident, number), = people(1)
    earlier = exposure_record(actor=epi, source_case=source, resident=resident, setting="household",
                              first_date=TODAY - timedelta(8), last_date=TODAY - timedelta(6))[0].contact
    other = case_create(actor=epi, resident=person("病例乙"), data={"classification": "confirmed"})[0]
    outcome = contacts_import(actor=epi, path=write(tmp_path, [
        contact_row(number, other.number, 接触方式="工作场所", 接触地点="某公司", 末次接触日期=days(1))]))
    assert outcome.written and outcome.counts["contacts_extended"] == 1, outcome.errors
    contact = Contact.objects.get(resident=resident)
    assert contact.pk == earlier.pk and contact.last_exposure == TODAY - timedelta(1)
    assert contact.management_end == TODAY - timedelta(1) + timedelta(days=10)
    assert Observation.objects.filter(resident=resident).count() == 1
    assert Observation.objects.get(resident=resident).planned_end == contact.management_end
    assert TracingTask.objects.filter(contact=contact).count() == 3
    assert Exposure.objects.filter(contact=contact).count() == 2


def test_secondary_contacts_from_a_close_contact_in_the_same_file(epi, source, people, tmp_path):
    (close, nc), (second, ns) = people(2)
    outcome = contacts_import(actor=epi, path=write(tmp_path, [
        {**contact_row(ns), "传染源证件号码": nc, "接触方式": "工作场所"},
        {**contact_row(nc, source.number), "传染源证件号码": ""},
    ]))
    assert outcome.written, outcome.errors
    secondary = Contact.objects.get(resident=second)
    assert secondary.degree == 2
    exposure = Exposure.objects.get(person=second)
    assert exposure.source_id == close.pk and exposure.source_contact.resident == close


def test_duplicates_cases_and_sources_are_refused_row_by_row(epi, source, people, person, tmp_path):
    (a, na), (b, nb), (c, nc) = people(3)
    case_create(actor=epi, resident=b, data={"classification": "suspected"})
    excluded = case_create(actor=epi, resident=person("排除者"), data={"classification": "suspected"})[0]
    Case.objects.filter(pk=excluded.pk).update(classification="excluded")
    outcome = contacts_import(actor=epi, path=write(tmp_path, [
        contact_row(na, source.number),
        contact_row(na, source.number),
        contact_row(nb, source.number),
        contact_row(nc, excluded.number),
        contact_row(nc, "1101-1999-99999"),
        contact_row(nc, source.number, 末次接触日期=days(5)),
        contact_row(nc, source.number, 首次接触日期="2026-13-01"),
        contact_row(nc, source.number, 接触方式="飞机"),
    ]))
    assert not outcome.written and Contact.objects.count() == 0 and Exposure.objects.count() == 0
    reasons = {(e.row, e.column): e.reason for e in outcome.errors}
    assert reasons[(3, "首次接触日期")] == "duplicate of row 2"
    assert "already a case" in reasons[(4, "证件号码")]
    assert "excluded" in reasons[(5, "传染源病例编号")]
    assert "not found" in reasons[(6, "传染源病例编号")]
    assert "before the first exposure" in reasons[(7, "末次接触日期")]
    assert "YYYY-MM-DD" in reasons[(8, "首次接触日期")]
    assert "家庭" in reasons[(9, "接触方式")]
    assert outcome.invalid == 7


def test_a_contact_outside_the_jurisdiction_is_an_error_and_nothing_is_stored(epi, source, people, xicheng_grid,
                                                                               tmp_path):
    (mine, nm), = people(1)
    (theirs, nt), = people(1, start=600, grid_code=xicheng_grid.code)
    outcome = contacts_import(actor=epi, path=write(tmp_path, [contact_row(nm, source.number),
                                                               contact_row(nt, source.number)]))
    assert not outcome.written and Contact.objects.count() == 0
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "姓名"), (3, "网格编码")]
    assert Observation.objects.count() == 0 and AuditEvent.objects.filter(action="epi.import").count() == 0


def test_a_new_person_is_registered_with_the_registrys_rules(epi, source, first_grid, tmp_path):
    outcome = contacts_import(actor=epi, path=write(tmp_path, [
        {**contact_row(id_number(811), source.number), "姓名": "新密接", "网格编码": first_grid.code, "手机号": "13900002222"},
        {**contact_row(id_number(812), source.number), "姓名": "坏电话", "网格编码": first_grid.code, "手机号": "123"},
    ]))
    assert not outcome.written and [(e.row, e.column) for e in outcome.errors] == [(3, "手机号")]
    assert not Resident.objects.filter(name="新密接").exists()


def test_missing_required_columns_stop_the_file(epi, tmp_path):
    from epigrid.residents.importing import ImportFileError

    with pytest.raises(ImportFileError) as bad:
        contacts_import(actor=epi, path=write(tmp_path, [{"证件号码": id_number(1), "末次接触日期": days(1)}]))
    assert {e.column for e in bad.value.rows} >= {"接触方式", "首次接触日期", "传染源病例编号 or 传染源证件号码"}


def test_an_exposure_whose_period_has_passed_is_recorded_but_not_managed(epi, source, people, tmp_path):
    (by_hand, _n1), (imported, n2) = people(2)
    exposure_record(actor=epi, source_case=source, resident=by_hand, setting="household",
                    first_date=TODAY - timedelta(20), last_date=TODAY - timedelta(15))
    outcome = contacts_import(actor=epi, path=write(tmp_path, [contact_row(n2, source.number, 首次接触日期=days(20),
                                                                           末次接触日期=days(15))]))
    assert outcome.written and outcome.counts["contacts_released"] == 1
    for resident in (by_hand, imported):
        contact = Contact.objects.get(resident=resident)
        assert (contact.status, contact.observation_id, contact.tasks.count()) == ("released", None, 0)
        assert not Observation.objects.filter(resident=resident).exists()


def test_a_future_date_is_refused_as_the_service_refuses_it(epi, source, people, tmp_path):
    (a, na), = people(1)
    outcome = contacts_import(actor=epi, path=write(tmp_path, [
        contact_row(na, source.number, 首次接触日期=days(1), 末次接触日期=str(TODAY + timedelta(days=1)))]))
    assert not outcome.written
    assert [(e.row, e.column, e.reason) for e in outcome.errors] == [(2, "末次接触日期", "cannot be in the future")]


def test_the_figures_count_the_imported_contacts_from_the_audits_summary_rows(epi, source, people, tmp_path):
    from django.utils import timezone

    from epigrid.regions import rollups

    (a, na), (b, nb) = people(2)
    rollups.figures_rebuild()
    assert contacts_import(actor=epi, path=write(tmp_path, [contact_row(na, source.number),
                                                            contact_row(nb, source.number)])).written
    rollups.figures_update()  # recounts the grids the audit log shows were written to
    district = "110101000000"
    assert rollups.values_at(figure="contacts", day=timezone.localdate(), codes=[district]) == {district: 2}


def test_a_secondary_contact_whose_close_contact_row_failed_is_an_error_too(epi, source, people, tmp_path):
    (close, nc), (second, ns) = people(2)
    case_create(actor=epi, resident=close, data={"classification": "suspected"})  # its close-contact row fails
    outcome = contacts_import(actor=epi, path=write(tmp_path, [
        {**contact_row(nc, source.number), "传染源证件号码": ""},
        {**contact_row(ns), "传染源证件号码": nc},
    ]))
    assert not outcome.written
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "证件号码"), (3, "传染源证件号码")]
