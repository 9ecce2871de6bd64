"""A community's public links (arrival registration, incident reports by residents): signed tokens, so
nobody can forge a link to another community or enumerate communities by trying codes; and the QR code
that carries one, to print and put up at the gate. The tokens do not expire: they are on paper on a wall.
"""

from __future__ import annotations

import segno
from django.core import signing
from django.http import HttpResponse
from django.utils.translation import gettext as _

from epigrid.core.errors import NotFound

from .models import Division

# One salt per purpose: an arrival link does not open the report page and vice versa. (The arrival salt
# predates this module; QR codes printed with it must keep working.)
SALTS = {"arrival": "epigrid.arrival-link", "report": "epigrid.community-link.report"}


def community_token(community_code: str, purpose: str) -> str:
    return signing.dumps(community_code, salt=SALTS[purpose], compress=True)


def community_from_token(token: str, purpose: str) -> Division:
    """The community a link opens; NotFound for a forged, altered or foreign-purpose token."""
    try:
        code = signing.loads(token, salt=SALTS[purpose])
    except signing.BadSignature:
        raise NotFound(_("This link is not valid.")) from None
    community = Division.objects.filter(code=code, level="community").first() if isinstance(code, str) else None
    if community is None:
        raise NotFound(_("This link is not valid."))
    return community


def qr_response(url: str, *, fmt: str, filename: str) -> HttpResponse:
    """A QR code of `url` as PNG or SVG, to print."""
    qr = segno.make(url, error="m")
    response = HttpResponse(content_type="image/svg+xml" if fmt == "svg" else "image/png")
    qr.save(response, kind=fmt, scale=10 if fmt == "png" else 4, border=2)
    response["Content-Disposition"] = f'inline; filename="{filename}.{fmt}"'
    return response
