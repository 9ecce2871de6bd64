"""Ids of new rows: UUID version 7 (RFC 9562), time-ordered, for every model's `uid` and for the import.

A random UUID4 lands anywhere in its unique index, so each insert touches a different page; a million
of them keep rewriting the whole index. A UUIDv7 starts with the time in milliseconds (then a counter
and random bits), so new ids append at the index's end. The price: an id tells when its row was made,
to the millisecond, which every page shows anyway (created_at). uuid_utils keeps the ids of one process
ordered within a millisecond and reseeds its random generator in a forked child (the import's pool).
"""

import uuid

import uuid_utils
import uuid_utils.compat


def uuid7() -> uuid.UUID:
    """A new time-ordered id: the default of every `uid` field (a plain uuid.UUID, as Django expects)."""
    return uuid_utils.compat.uuid7()


def uuid7_hex() -> str:
    """The same as 32 hex digits, what the import writes (SQLite stores that text; PostgreSQL takes it)."""
    return uuid_utils.uuid7().hex
