"""Calling a person under observation: the grid worker who follows them up sees their phone in full to
call it (a tel: link on "my grid today"). The phone is personal data, so each reveal is a service:
scoped (HEALTH_RECORD over the observation's grid, the grid worker's own grid), limited in rate, and
audited as a reveal with its purpose, like a reveal on the residents page."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from epigrid.accounts.roles import HEALTH_RECORD
from epigrid.core import pii
from epigrid.core.audit import audit_record
from epigrid.core.errors import FieldError, NotFound, ServiceError
from epigrid.core.principals import Actor, require_user, service
from epigrid.core.ratelimit import rate_limit
from epigrid.core.reveal import Purpose

from ..models import Observation, Status
from .observations import _is_uuid

CALL_REASON = "observation follow-up: call from my grid today"


@service
def observation_phone(*, actor: Actor, uid) -> str:
    """The full phone of the person under the active observation `uid`, for a user who records its
    check-ins; NotFound outside their grids or once the observation ended."""
    require_user(actor)
    obs = (Observation.objects.restrict(actor, HEALTH_RECORD).filter(uid=uid, status=Status.ACTIVE)
           .select_related("resident").first() if _is_uuid(uid) else None)
    if obs is None or obs.resident.anonymised_at is not None:
        raise NotFound(_("No such observation."))
    phone = pii.decrypt(obs.resident.phone_enc, "phone")
    if not phone:
        raise ServiceError(_("No phone number is recorded for this person."),
                           [FieldError("phone", _("not recorded"))])
    rate_limit("observation-phone", settings.LOOKUP_RATE_PER_MINUTE, f"user-{actor.pk}", window=60,
               message=_("Too many phone numbers shown in a minute; please wait a moment."))
    with transaction.atomic():
        audit_record(actor=actor, action="resident.reveal", object_type="resident", object_id=obs.resident.uid,
                     jurisdiction_code=obs.resident.grid_code, changes={"phone": "revealed"},
                     reason=f"{Purpose.CONTACT.value}: {CALL_REASON}")
    return phone
