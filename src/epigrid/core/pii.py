"""Personal data at rest: AES-GCM encryption with rotating keys, a keyed hash (blind index) to find a
value without decrypting, and the masks shown on screen. The rule of DESIGN.md, written once.

Key file (EPIGRID_PII_KEY_FILE, default var/pii.key; created with mode 0600 on first use):
    {"active": 2, "keys": {"1": "<base64 32 bytes>", "2": "..."}, "index": "<base64 32 bytes>"}
A ciphertext is: one byte key id, 12 bytes nonce, then AES-256-GCM output. The column's name is the
associated data, so a ciphertext copied into another column does not decrypt. The index key never
rotates (every blind index would change with it); the encryption keys rotate with `epigrid rotate-key`,
old keys staying readable until every row has been re-encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12
# Which models hold ciphertexts: (app_label.Model, column names without the _enc suffix). Apps add
# themselves in AppConfig.ready(); `epigrid rotate-key` re-encrypts exactly these.
ENCRYPTED: list[tuple[str, tuple[str, ...]]] = []
INDEX_HEX = 32  # 128 bits of HMAC-SHA256: no collisions among a country's ID numbers


@dataclass(frozen=True)
class Keyring:
    active: int
    ciphers: dict[int, AESGCM]
    mtime: float
    # The HMAC with the index key already loaded: blind_index copies it rather than keying a new one for
    # every value (half the cost, which counts for a million-row import).
    index_hmac: hmac.HMAC


_lock = threading.Lock()
_keyring: Keyring | None = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _write_key_file(path, doc: dict) -> None:
    """Atomically replace the key file (readable by the owner only)."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def _read_key_file() -> dict:
    path = settings.PII_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"active": 1, "keys": {"1": _b64(AESGCM.generate_key(256))}, "index": _b64(secrets.token_bytes(32))}
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                json.dump(doc, f)
    return json.loads(path.read_text())


def keyring() -> Keyring:
    """The keys, re-read when the key file changes (after a rotation by another process)."""
    global _keyring
    path = settings.PII_KEY_FILE
    mtime = path.stat().st_mtime if path.exists() else -1.0
    if _keyring is None or _keyring.mtime != mtime:
        with _lock:
            doc = _read_key_file()
            _keyring = Keyring(
                active=int(doc["active"]),
                ciphers={int(k): AESGCM(base64.b64decode(v)) for k, v in doc["keys"].items()},
                mtime=path.stat().st_mtime,
                index_hmac=hmac.new(base64.b64decode(doc["index"]), digestmod=hashlib.sha256),
            )
    return _keyring


def key_rotate() -> int:
    """Add a new encryption key and make it the active one; returns its id. Old keys stay."""
    doc = _read_key_file()
    new_id = max(int(k) for k in doc["keys"]) + 1
    doc["keys"][str(new_id)] = _b64(AESGCM.generate_key(256))
    doc["active"] = new_id
    _write_key_file(settings.PII_KEY_FILE, doc)
    return new_id


def key_retire(keep: int) -> list[int]:
    """Drop every key but `keep` (call only once nothing is encrypted under them)."""
    doc = _read_key_file()
    dropped = [int(k) for k in doc["keys"] if int(k) != keep]
    doc["keys"] = {str(keep): doc["keys"][str(keep)]}
    doc["active"] = keep
    _write_key_file(settings.PII_KEY_FILE, doc)
    return dropped


def encrypt(value: str, column: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    return bytes([ring.active]) + nonce + ring.ciphers[ring.active].encrypt(nonce, value.encode(), column.encode())


def decrypt(blob: bytes | memoryview | None, column: str, ring: Keyring | None = None) -> str:
    if not blob:
        return ""
    ring = ring or keyring()
    blob = bytes(blob)
    cipher = ring.ciphers[blob[0]]
    return cipher.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:], column.encode()).decode()


def key_id(blob: bytes | memoryview | None) -> int | None:
    return bytes(blob[:1])[0] if blob else None


def blind_index(value: str, column: str, ring: Keyring | None = None) -> str:
    """A keyed hash of a normalised value: equal values, equal hashes; no way back without the key."""
    if not value:
        return ""
    ring = ring or keyring()
    mac = ring.index_hmac.copy()
    mac.update(f"{column}:{value}".encode())
    return mac.hexdigest()[:INDEX_HEX]


def mask_id_number(value: str) -> str:
    """110105********1234: region and last four for a resident ID card, ends only for anything else."""
    if not value:
        return ""
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    keep = max(1, len(value) // 4)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_phone(value: str) -> str:
    """138****5678 for a mobile; the last four only for anything else."""
    if not value:
        return ""
    digits = value.removeprefix("+86")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(0, len(digits) - 4) + digits[-4:]


def mask_name(value: str) -> str:
    """张* or 张**: the surname and at most two stars (a name is personal data, and so is its length)."""
    return value[:1] + "*" * min(2, max(1, len(value) - 1)) if value else ""
