"""Bulk import of the resident registry from CSV or XLSX: `residents_import`, called by the
`epigrid import residents` command, by the background task behind the upload page and the API, and by
bench/import_residents.py.

The rules are the registry's own: every row goes through `clean_resident` (validation.py) and
`resident_protect` (services.py); this module adds only what a file brings: headers, encodings, row
numbers, duplicates inside the file, and a fast path for the writes.

- Streaming: CSV through the csv module over a decoded text stream, XLSX through openpyxl's read-only
  mode; rows go through in chunks, so memory stays bounded (the one thing that grows with the file is
  the set of ID numbers already seen, ~60 bytes a row, needed to report duplicates inside the file).
- Headers: matched once per file through one table of synonyms (common.COLUMNS, `header_key`): 联系电话 is
  手机号, 身份证号码 is 证件号码, whatever the case, spaces or a "*". Columns it does not know (序号, 性别) are
  ignored and listed as a warning; a missing required column, or two for one field, stop the file.
- The error report holds each bad row's original cells (to correct and upload again): personal data in
  clear, so only the importer and the reveal permission may download it, audited (jobs.import_report_open).
- Encodings: UTF-8 with or without BOM, else GB18030, a superset of GBK and GB2312 (what Excel writes
  in China). Detected here by decoding the first MiB, not by a guessing library: those are the only
  encodings we accept, and a clear error is better than a wrong guess.
- All or nothing: everything happens in one transaction. By default a single bad row means nothing
  is written (the rows keep being checked, so the report lists every problem); with `skip_invalid`
  the good rows are written and the bad ones reported.
- Same person = same ID number in the same city: a resident in the importer's jurisdiction is updated,
  never inserted twice; the same ID twice in one file is an error on the later row. A number held
  outside the importer's jurisdiction is answered exactly like a new person (no error: that would tell
  the importer the person exists elsewhere): the row is stored beside that record (`duplicate_of`) and a
  `ResidentMatch` is filed with its jurisdiction, as services.resident_register does; importing it
  again updates the importer's own record. The record held elsewhere is never changed or moved.
- Writes bypass the ORM (DESIGN.md): executemany on SQLite, binary COPY on PostgreSQL; updates in
  batches. A large first load into an empty table builds the secondary indexes after its rows, in the
  same transaction (run._indexes_built_after).
- Large files are prepared (validate, encrypt, locate) by a pool of processes over chunks, in order;
  the database writes stay in this process and its one transaction.
"""

# The public names, as they were when this was one module: the views, the API, the command, the bench and
# queued tasks (by their dotted path "epigrid.residents.importing.import_job_run") import them from here.
from .common import COLUMNS, INSERT_COLUMNS, ImportFileError, ImportOutcome, RowError, header_key, mask_value
from .jobs import (
                   JOB_KIND,
                   import_job_get,
                   import_job_run,
                   import_job_start,
                   import_job_warnings,
                   import_jobs_recent,
                   import_report_available,
                   import_report_open,
                   import_report_path,
                   job_dir,
)
from .reading import HeaderMap, map_headers, open_table
from .rows import prepare_chunk
from .run import _bulk_cache, residents_import
from .template import import_template_xlsx

__all__ = ["COLUMNS", "INSERT_COLUMNS", "JOB_KIND", "HeaderMap", "ImportFileError", "ImportOutcome", "RowError",
           "_bulk_cache", "header_key", "import_job_get", "import_job_run", "import_job_start", "import_job_warnings",
           "import_jobs_recent",
           "import_report_available", "import_report_open", "import_report_path", "import_template_xlsx", "job_dir",
           "map_headers", "mask_value", "open_table", "prepare_chunk", "residents_import"]
