"""Import of cases and of contacts with their exposures from CSV or XLSX (issue 11): `cases_import` and
`contacts_import`, run as background jobs by the upload page and the API (jobs.py), or called directly
(tests, bench/contacts.py).

Reading is the resident import's (residents.importing: encodings, XLSX guards, header synonyms, the error
report); the rules are the tracing services' (clean_case, clean_exposure, source_refusal, place_key,
management_period...). Cases go through case_create row by row (a case file is small); contacts take a
bulk path (plan.py, write.py) that reaches the same records as exposure_record, 100,000 rows in seconds.
All or nothing: one transaction, every bad row reported with its row, column and reason; rows outside
the importer's jurisdiction are errors naming the row, never skipped."""

from .cases import CASE_KIND, cases_import
from .columns import CASE_COLUMNS, CONTACT_COLUMNS
from .common import EpiOutcome
from .contacts import contacts_import
from .jobs import (
    CONTACT_KIND,
    KINDS,
    epi_import_get,
    epi_import_run,
    epi_import_start,
    epi_imports_recent,
    epi_report_available,
    epi_report_open,
)
from .template import epi_template_xlsx

__all__ = ["CASE_COLUMNS", "CASE_KIND", "CONTACT_COLUMNS", "CONTACT_KIND", "KINDS", "EpiOutcome", "cases_import",
           "contacts_import", "epi_import_get", "epi_import_run", "epi_import_start", "epi_imports_recent",
           "epi_report_available", "epi_report_open", "epi_template_xlsx"]
