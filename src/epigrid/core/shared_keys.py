"""The keys every app server and worker on one database must share (docs/scaling.md), checked by
`epigrid serve` and `epigrid worker` before they start.

- The personal-data key file (EPIGRID_PII_KEY_FILE): a server with another key file cannot read what the
  others encrypted, finds nobody by ID number or phone (the blind index is keyed), and writes rows that
  the others cannot read. A server missing the file generates a new one silently (pii._read_key_file), so
  a second server whose key file was not copied would do all that. It must not start: `pii_key_problem`.
- The secret key (EPIGRID_SECRET_KEY): a server with another one does not accept the others' logins
  (sessions and their auth hash are signed with it). Changing it on purpose does the same to everyone,
  once, which is why this is a warning, not a refusal: `secret_key_problem`.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings

from . import pii


def pii_key_problem() -> str:
    """Why this process's key file does not read the personal data already stored ("" if it does): the
    newest ciphertext of each encrypted column must decrypt. Old keys stay in the file until nothing is
    encrypted under them (`epigrid rotate-key`), so a right key file reads every row."""
    ring = pii.keyring()
    for label, columns in pii.ENCRYPTED:
        model = apps.get_model(label)
        for column in columns:
            field = f"{column}_enc"
            blob = (model.objects.exclude(**{f"{field}__isnull": True}).exclude(**{field: b""})
                    .order_by("-pk").values_list(field, flat=True).first())
            if blob is None:
                continue
            try:
                pii.decrypt(blob, column, ring)
            except Exception:  # an unknown key id (KeyError) or another key (InvalidTag)
                return (f"The personal-data key file {settings.PII_KEY_FILE} does not decrypt the {label} "
                        f"{column} values in this database: every app server and worker on one database "
                        "needs the same key file (EPIGRID_PII_KEY_FILE; see docs/scaling.md). Not starting.")
    return ""


def secret_key_problem() -> str:
    """A warning ("" if none) when the newest live login session in the database was not signed with this
    process's secret key (or one of SECRET_KEY_FALLBACKS)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core import signing
    from django.utils import timezone

    data = (Session.objects.filter(expire_date__gt=timezone.now()).order_by("-expire_date")
            .values_list("session_data", flat=True).first())
    if data is None:
        return ""
    store = SessionStore()
    try:
        # Not store.decode(), which answers {} for a bad signature and for an empty session alike.
        signing.loads(data, salt=store.key_salt, serializer=store.serializer)
    except signing.BadSignature:
        return ("Warning: the newest login session in the database was signed with another secret key. If "
                "another app server runs on this database, give every server the same EPIGRID_SECRET_KEY "
                "(docs/scaling.md), or logins made on one are refused by the other; if the key was changed on "
                "purpose, users simply log in again.")
    return ""


def startup_check() -> tuple[str, str]:
    """(refusal, warning) for `epigrid serve` and `epigrid worker`, each "" when there is none. A database
    not migrated yet holds nothing to check."""
    from django.db import DatabaseError, connections

    try:
        return pii_key_problem(), secret_key_problem()
    except DatabaseError:
        return "", ""
    finally:
        connections.close_all()  # serve exec()s gunicorn next: no connection of ours goes with it
