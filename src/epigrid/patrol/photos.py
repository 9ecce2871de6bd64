"""Incident photos: checked (an image, of an allowed type, not too large), re-encoded as JPEG from the
pixels alone so that no metadata survives (EXIF carries the phone's GPS position and serial numbers; a
JPEG comment or a PNG text chunk can carry anything, a phone number was found in one), and thumbnailed.
Stored under MEDIA_ROOT, owner-only, served only through a view that checks the incident's scope."""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from epigrid.core.errors import FieldError, ServiceError

MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded
MAX_PHOTOS = 6
# MPO is what several phone cameras write (a JPEG followed by a second, depth or stereo, frame): read as
# the JPEG it starts with; only the first frame is kept.
FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
LONG_SIDE = 2048  # larger photos are scaled down: plenty for a street scene, a fraction of the bytes
THUMB_SIDE = 320


@dataclass
class PreparedPhoto:
    image: bytes
    thumb: bytes
    width: int
    height: int


def _read(upload, limit: int) -> bytes:
    if hasattr(upload, "read"):
        size = getattr(upload, "size", None)
        if size is not None and size > limit:
            return b"x" * (limit + 1)
        return upload.read(limit + 1)
    return bytes(upload)


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image with the same pixels and nothing else: Image.info carries what the file held besides
    pixels (a JPEG's comment, which Pillow writes back on save; ICC profiles, XMP, PNG text chunks),
    and a copy would keep it."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def photo_prepare(upload, field: str = "photo") -> PreparedPhoto:
    """An uploaded file (or bytes) as a clean JPEG and its thumbnail; ServiceError if it is not fit."""
    limit = settings.PHOTO_MAX_BYTES
    data = _read(upload, limit)
    if len(data) > limit:
        raise ServiceError(_("The photo is too large."),
                           [FieldError(field, _("at most %(mb)d MB") % {"mb": limit // 2**20})], status=413)
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
        image.seek(0)  # the first frame of an MPO (or an animated WebP)
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
    image = _pixels_only(image)
    width, height = image.size
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif=, icc_profile=, comment=: none of the original
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=80)
    return PreparedPhoto(out.getvalue(), thumb_out.getvalue(), width, height)


def photo_store(prepared: PreparedPhoto) -> tuple[str, str]:
    """Write the photo and its thumbnail; their paths relative to MEDIA_ROOT."""
    name = f"incidents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    root = Path(settings.MEDIA_ROOT)
    (root / name).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path, data in ((f"{name}.jpg", prepared.image), (f"{name}_t.jpg", prepared.thumb)):
        # Owner-only whatever the umask: a photo shows people and places.
        fd = os.open(root / path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    return f"{name}.jpg", f"{name}_t.jpg"


def photo_discard(paths) -> None:
    root = Path(settings.MEDIA_ROOT)
    for p in paths:
        (root / p).unlink(missing_ok=True)
