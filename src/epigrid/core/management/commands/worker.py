from django.core.management import call_command
from django.core.management.base import BaseCommand

from epigrid.core.tasks import jobs_recover


class Command(BaseCommand):
    help = "Run the background task worker (django-q2's cluster), after failing the jobs left running by a " \
           "worker that was killed."

    def handle(self, *args, **opts):
        failed = jobs_recover()
        if failed:
            self.stdout.write(f"{failed} job(s) left running by a stopped worker marked failed")
        call_command("qcluster")
