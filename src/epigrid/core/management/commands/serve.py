import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from epigrid.core.shared_keys import startup_check

# gunicorn's default format with the path alone (%(U)s) instead of the request line (%(r)s): a query
# string can carry what a client should not have put there (an ID number, a phone), and the access log
# is read by more people, and kept longer, than the data. Pages never put such values in a URL either.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'


class Command(BaseCommand):
    help = "Serve EpiGrid with gunicorn (sync workers), after collecting static files."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("EPIGRID_BIND", "127.0.0.1:8000"),
                            help="host:port (EPIGRID_BIND).")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("EPIGRID_WORKERS", "0")) or None,
                            help="Worker processes (EPIGRID_WORKERS; default 2 per CPU core + 1).")
        parser.add_argument("--access-log", default=os.environ.get("EPIGRID_ACCESS_LOG", "-"),
                            help="Access log file, - for standard output (EPIGRID_ACCESS_LOG).")
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument("--with-worker", action="store_true",
                            help="Also start a background task worker (`epigrid worker`), as the demo does.")

    def handle(self, *args, **opts):
        refusal, warning = startup_check()
        if warning:
            self.stderr.write(warning)
        if refusal:
            raise CommandError(refusal)
        if not opts["no_collectstatic"] and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        workers = opts["workers"] or (2 * (os.cpu_count() or 1) + 1)
        argv = [sys.executable, "-m", "gunicorn", "epigrid.wsgi:application",
                "--bind", opts["bind"], "--workers", str(workers), "--worker-class", "sync",
                "--access-logfile", opts["access_log"], "--access-logformat", ACCESS_LOG_FORMAT,
                "--timeout", "120", "--graceful-timeout", "30",
                # The control socket sits at one fixed path per user, so two instances on a machine
                # (a demo beside a benchmark) would fight over it; nothing here uses it.
                "--no-control-socket"]
        if opts["with_worker"]:
            # A child in our process group: Ctrl-C in the terminal stops it with the web server.
            subprocess.Popen([sys.executable, "-m", "epigrid.cli", "worker"])
        self.stdout.write(f"serving on http://{opts['bind']} with {workers} workers")
        self.stdout.flush()
        os.execv(sys.executable, argv)
