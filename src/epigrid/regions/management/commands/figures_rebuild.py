import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from epigrid.regions.rollups import figures_rebuild


class Command(BaseCommand):
    help = ("Rebuild the map and home-page figures (people under observation, open alerts, missed check-ins, "
            "arrivals, incidents) per grid and division from scratch: today, or --day YYYY-MM-DD, or --days N "
            "back from today. Gives the same rows as the task that keeps them up to date.")

    def add_arguments(self, parser):
        parser.add_argument("--day", help="one day, YYYY-MM-DD")
        parser.add_argument("--days", type=int, default=1, help="this many days up to today (default 1)")

    def handle(self, *args, day=None, days=1, **options):
        today = timezone.localdate()
        if day:
            try:
                days_list = [date.fromisoformat(day)]
            except ValueError:
                raise CommandError("--day: YYYY-MM-DD") from None
            if days_list[0] > today:
                raise CommandError("--day: not in the future")
        else:
            days_list = [today - timedelta(days=n) for n in reversed(range(max(1, days)))]
        for d in days_list:
            start = time.monotonic()
            rows = figures_rebuild(day=d)
            self.stdout.write(f"{d}: {rows} rows in {time.monotonic() - start:.2f} s")
