import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from epigrid.core.errors import ServiceError
from epigrid.core.geo import CRS_CHOICES
from epigrid.regions.services import regions_import


class Command(BaseCommand):
    help = "Import data: `epigrid import regions FILE.geojson [--crs gcj02]` (all or nothing)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        regions = sub.add_parser("regions", help="Divisions and grids from a GeoJSON FeatureCollection.")
        regions.add_argument("file", help="Path, or - for standard input.")
        regions.add_argument("--crs", default="wgs84", choices=CRS_CHOICES)

    def handle(self, *args, **opts):
        path = opts["file"]
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            result = regions_import(actor=None, data=data, crs=opts["crs"])
        except ServiceError as exc:
            for e in exc.errors[:200]:
                self.stderr.write(f"{e.field}: {e.message}")
            if len(exc.errors) > 200:
                self.stderr.write(f"... and {len(exc.errors) - 200} more")
            raise CommandError(exc.detail) from None
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
