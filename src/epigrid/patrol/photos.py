"""Incident photos: checked (an image, of an allowed type, not too large), re-encoded as JPEG so that no
metadata survives (EXIF carries the phone's GPS position and serial numbers), and thumbnailed.
Stored under MEDIA_ROOT, served only through a view that checks the incident's scope."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from epigrid.core.errors import FieldError, ServiceError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded
MAX_PHOTOS = 6
FORMATS = {"JPEG", "PNG", "WEBP"}
LONG_SIDE = 2048  # larger photos are scaled down: plenty for a street scene, a fraction of the bytes
THUMB_SIDE = 320


@dataclass
class PreparedPhoto:
    image: bytes
    thumb: bytes
    width: int
    height: int


def _read(upload) -> bytes:
    if hasattr(upload, "read"):
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_BYTES:
            return b"x" * (MAX_BYTES + 1)
        return upload.read(MAX_BYTES + 1)
    return bytes(upload)


def photo_prepare(upload, field: str = "photo") -> PreparedPhoto:
    """An uploaded file (or bytes) as a clean JPEG and its thumbnail; ServiceError if it is not fit."""
    data = _read(upload)
    if len(data) > MAX_BYTES:
        raise ServiceError(_("The photo is too large."),
                           [FieldError(field, _("at most %(mb)d MB") % {"mb": MAX_BYTES // 2**20})], status=413)
    not_image = ServiceError(_("The file is not a photo."),
                             [FieldError(field, _("must be a JPEG, PNG or WebP image"))])
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise not_image
            if probe.width * probe.height > MAX_PIXELS:
                raise ServiceError(_("The photo is too large."), [FieldError(field, _("too many pixels"))])
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except ServiceError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_image from None
    # Turn the pixels the way the camera said (the orientation tag goes with the rest of the EXIF).
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((LONG_SIDE, LONG_SIDE))
    width, height = image.size
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing of the original kept
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=80)
    return PreparedPhoto(out.getvalue(), thumb_out.getvalue(), width, height)


def photo_store(prepared: PreparedPhoto) -> tuple[str, str]:
    """Write the photo and its thumbnail; their paths relative to MEDIA_ROOT."""
    name = f"incidents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    root = Path(settings.MEDIA_ROOT)
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.jpg").write_bytes(prepared.image)
    (root / f"{name}_t.jpg").write_bytes(prepared.thumb)
    return f"{name}.jpg", f"{name}_t.jpg"


def photo_discard(paths) -> None:
    root = Path(settings.MEDIA_ROOT)
    for p in paths:
        (root / p).unlink(missing_ok=True)
