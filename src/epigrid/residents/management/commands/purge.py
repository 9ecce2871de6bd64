from django.core.management.base import BaseCommand

from epigrid.residents.retention import residents_purge


class Command(BaseCommand):
    help = ("Anonymise the personal data of people whose observation ended more than N days ago and whom "
            "nothing else still needs (also runs daily as a scheduled task with EPIGRID_RETENTION_DAYS).")

    def add_arguments(self, parser):
        parser.add_argument("--after-days", type=int, default=None, help="Default: EPIGRID_RETENTION_DAYS (30).")

    def handle(self, *args, **opts):
        if opts["after_days"] is not None and opts["after_days"] < 0:
            self.stderr.write("--after-days must not be negative")
            raise SystemExit(2)
        count = residents_purge(after_days=opts["after_days"])
        self.stdout.write(f"anonymised {count} people")
