"""Rows of the tracing tables made straight with the ORM, for the graph's tests (the services that
will make them in the app are the lead's): persons, cases, contacts, exposures and links."""

from datetime import date, timedelta

from epigrid.epi.clusters import place_key
from epigrid.epi.models import Case, Contact, Exposure, Link
from epigrid.residents.models import Household, Resident

DAY = date(2026, 11, 1)
_seq = {"case": 0}


def person(grid_code: str, name: str, household=None) -> Resident:
    return Resident.objects.create(grid_code=grid_code, city_code=grid_code[:4], name=name, household=household)


def household(grid_code: str, address: str = "1号楼") -> Household:
    return Household.objects.create(grid_code=grid_code, address=address)


def case(resident: Resident, classification: str = "confirmed", day: date = DAY, **fields) -> Case:
    _seq["case"] += 1
    fields.setdefault("reporting_code", resident.grid_code[:6] + "000000")
    return Case.objects.create(number=f"T-{_seq['case']:06d}", city_code=resident.city_code, resident=resident,
                               grid_code=resident.grid_code, classification=classification, onset_date=day,
                               report_date=day, **fields)


def contact(resident: Resident, day: date = DAY, degree: int = 1) -> Contact:
    existing = Contact.objects.filter(resident=resident).first()
    if existing:
        return existing
    return Contact.objects.create(resident=resident, grid_code=resident.grid_code, city_code=resident.city_code,
                                  degree=degree, last_exposure=day, management_end=day + timedelta(days=14),
                                  rule="test")


def expose(source: Resident, target: Resident, setting: str = "household", place: str = "", day: date = DAY,
           source_case=None) -> Exposure:
    return Exposure.objects.create(source=source, source_case=source_case, person=target, contact=contact(target, day),
                                   grid_code=target.grid_code, setting=setting, place=place,
                                   place_key=place_key(setting, place), first_date=day, last_date=day)


def link(infector: Case, infectee: Case, evidence: str = "epidemiological") -> Link:
    return Link.objects.create(infector=infector, infectee=infectee, grid_code=infectee.grid_code, evidence=evidence)
