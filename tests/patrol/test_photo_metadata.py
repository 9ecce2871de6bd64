"""Photos keep their pixels and nothing else: a phone number hidden in a JPEG comment, EXIF, XMP or a PNG
text chunk does not reach the stored file; MPO photos from phone cameras are taken as JPEG; stored files
are readable by the platform's user only."""

import io
import stat
import struct

from PIL import Image, PngImagePlugin

from epigrid.patrol.models import IncidentPhoto

from .test_api import _upload, new_incident

PHONE = "13912345678"


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's segments before its image data (0xE0-0xEF are APPn, 0xFE a comment)."""
    assert data[:2] == b"\xff\xd8"
    markers, i = [], 2
    while i < len(data):
        marker = data[i + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: pixels follow
            break
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        i += 2 + length
    return markers


def exif_with(phone: str, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = f"call {phone}"  # ImageDescription
    exif[0x013B] = f"owner {phone}"  # Artist
    if orientation:
        exif[0x0112] = orientation
    return exif


def stored_bytes(settings, photo):
    return (settings.MEDIA_ROOT / photo.path).read_bytes(), (settings.MEDIA_ROOT / photo.thumb_path).read_bytes()


def upload(api, gridworker, inside, data, name="p.jpg", content_type="image/jpeg"):
    client = api.as_user(gridworker)
    iid = new_incident(client, inside).json()["id"]
    r = _upload(client, iid, data, name=name, content_type=content_type)
    assert r.status_code == 200, r.content
    return IncidentPhoto.objects.get()


def test_a_phone_number_in_a_jpeg_comment_exif_xmp_or_icc_is_gone_and_the_rotation_applied(
        api, gridworker, inside, settings):
    out = io.BytesIO()
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{PHONE}</dc:creator></x:xmpmeta>'.encode()
    icc = b"\0" * 128 + PHONE.encode()  # Pillow stores the profile bytes as given
    # 400 wide, 300 high, and orientation 6: the camera was held upright, so the photo is 300 x 400.
    Image.new("RGB", (400, 300), (10, 120, 200)).save(
        out, "JPEG", exif=exif_with(PHONE, orientation=6), comment=f"tel {PHONE}".encode(), xmp=xmp,
        icc_profile=icc)
    original = out.getvalue()
    assert original.count(PHONE.encode()) >= 4 and 0xFE in jpeg_segments(original)

    photo = upload(api, gridworker, inside, original)
    for data in stored_bytes(settings, photo):
        assert PHONE.encode() not in data and PHONE.encode("utf-16-le") not in data
        # Only the JFIF header (APP0) before the pixels: no EXIF/XMP (APP1), ICC (APP2), other APPn or COM.
        assert not [m for m in jpeg_segments(data) if (0xE1 <= m <= 0xEF) or m == 0xFE]
    image = Image.open(settings.MEDIA_ROOT / photo.path)
    assert image.size == (300, 400) and (photo.width, photo.height) == (300, 400)
    assert not image.getexif() and "comment" not in image.info and "icc_profile" not in image.info


def test_a_phone_number_in_png_text_chunks_and_png_exif_is_gone(api, gridworker, inside, settings):
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", f"tel {PHONE}")  # tEXt (Pillow wrote this one back as a JPEG comment)
    info.add_text("Author", f"owner {PHONE}", zip=True)  # zTXt
    info.add_itxt("Description", f"联系 {PHONE}", lang="zh", tkey="说明")  # iTXt
    out = io.BytesIO()
    Image.new("RGBA", (64, 48), (200, 30, 30, 255)).save(out, "PNG", pnginfo=info, exif=exif_with(PHONE))
    original = out.getvalue()
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
        assert chunk in original

    photo = upload(api, gridworker, inside, original, name="p.png", content_type="image/png")
    for data in stored_bytes(settings, photo):
        assert PHONE.encode() not in data
        assert not [m for m in jpeg_segments(data) if (0xE1 <= m <= 0xEF) or m == 0xFE]
    image = Image.open(settings.MEDIA_ROOT / photo.path)
    assert image.format == "JPEG" and image.size == (64, 48)
    assert image.getpixel((5, 5))[0] > 150  # still the red of the original


def test_an_mpo_photo_is_taken_as_a_jpeg_of_its_first_frame(api, gridworker, inside, settings):
    first = Image.new("RGB", (320, 240), (220, 20, 20))
    second = Image.new("RGB", (320, 240), (20, 20, 220))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=exif_with(PHONE))
    original = out.getvalue()
    assert Image.open(io.BytesIO(original)).format == "MPO"

    photo = upload(api, gridworker, inside, original)
    data, _thumb = stored_bytes(settings, photo)
    assert PHONE.encode() not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1 and image.size == (320, 240)
    red, _g, blue = image.getpixel((10, 10))
    assert red > 150 and blue < 100  # the first frame, not the second


def test_stored_photos_are_readable_by_the_owner_only(api, gridworker, inside, settings):
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "JPEG")
    photo = upload(api, gridworker, inside, out.getvalue())
    for rel in (photo.path, photo.thumb_path):
        path = settings.MEDIA_ROOT / rel
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, rel
        folder = path.parent
        while folder != settings.MEDIA_ROOT.parent:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            folder = folder.parent
