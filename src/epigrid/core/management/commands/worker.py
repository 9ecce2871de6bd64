import os
import signal
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand, CommandError

from epigrid.core.shared_keys import startup_check
from epigrid.core.tasks import jobs_recover

# How long a running task may take to finish after TERM or INT before the cluster is killed.
GRACE_SECONDS = 20


def _term_when_parent_dies() -> None:
    """In the cluster's process: TERM it if this supervisor dies, even by SIGKILL (Linux prctl)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = ("Run the background task worker (django-q2's cluster) under a small supervisor: jobs left "
            "running by a killed worker are failed at start; TERM or INT stops it within its grace period.")

    def handle(self, *args, **opts):
        refusal, warning = startup_check()
        if warning:
            self.stderr.write(warning)
        if refusal:
            raise CommandError(refusal)
        failed = jobs_recover()
        if failed:
            self.stdout.write(f"{failed} job(s) left running by a stopped worker marked failed")
        # Why a supervisor: TERM sent to a whole process group (a service manager, Ctrl-C under `make demo`)
        # kills django-q2's task processes at once and leaves the cluster's main process blocked for good on
        # a lock they held. The cluster runs in a session of its own, so only this process hears the
        # group's signal and passes TERM to the cluster's main process alone, which then stops its
        # workers in order (a few seconds); after the grace period the whole cluster is killed.
        cluster = subprocess.Popen([sys.executable, "-m", "epigrid.cli", "qcluster"], start_new_session=True,
                                   preexec_fn=_term_when_parent_dies)
        parent = os.getppid()
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while cluster.poll() is None and not stop.wait(1):
            if os.getppid() != parent:  # the server that started us is gone (`serve --with-worker`)
                stop.set()
        if cluster.poll() is None:
            cluster.send_signal(signal.SIGTERM)
            try:
                cluster.wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)
                cluster.wait()
        jobs_recover()  # a task the cluster was killed in is failed now, not at the next start
        return None
