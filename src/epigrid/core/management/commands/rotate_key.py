import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from epigrid.core import pii
from epigrid.core.audit import audit_record
from epigrid.core.principals import SYSTEM

BATCH = 5000


class Command(BaseCommand):
    help = ("Add a new encryption key for personal data, re-encrypt every value under it in small batches "
            "(the platform keeps running: both keys read until the end), then retire the old keys.")

    def add_arguments(self, parser):
        parser.add_argument("--keep-old", action="store_true", help="Keep the old keys in the key file.")
        parser.add_argument("--grace", type=float, default=2.0,
                            help="Seconds to wait before the final sweep, for writes begun under the old key.")

    def handle(self, *args, **opts):
        new = pii.key_rotate()
        self.stdout.write(f"new active key {new}")
        total = self._sweep(new)
        time.sleep(opts["grace"])
        # Another process may have encrypted a value with the old key just before it saw the new file.
        while (late := self._sweep(new)):
            total += late
        if not opts["keep_old"]:
            dropped = pii.key_retire(keep=new)
            self.stdout.write(f"retired keys {dropped}")
        audit_record(actor=SYSTEM, action="pii.rotate_key", object_type="key", object_id=str(new),
                     changes={"re_encrypted": total})
        self.stdout.write(f"re-encrypted {total} records")

    def _sweep(self, new: int) -> int:
        """Re-encrypt, batch by batch, every value not yet under key `new`; returns how many."""
        changed = 0
        ring = pii.keyring()
        for label, columns in pii.ENCRYPTED:
            model = apps.get_model(label)
            table = connection.ops.quote_name(model._meta.db_table)
            fields = [f"{c}_enc" for c in columns]
            last = 0
            while True:
                rows = list(model.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:BATCH])
                if not rows:
                    break
                last = rows[-1][0]
                updates = []
                for pk, *blobs in rows:
                    if all(b is None or pii.key_id(b) == new for b in blobs):
                        continue
                    updates.append([pii.encrypt(pii.decrypt(b, c, ring), c, ring) if b else None
                                    for b, c in zip(blobs, columns, strict=True)] + [pk])
                if updates:
                    sets = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in fields)
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", updates)
                    changed += len(updates)
                self.stdout.write(f"  {label}: up to id {last}", ending="\r")
        return changed
