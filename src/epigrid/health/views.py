"""Pages: the grid worker's "my grid today" (phone first), the staff list and detail of observations,
and the resident's own check-in page reached through a signed link without logging in."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import HEALTH_RECORD, HEALTH_VIEW
from epigrid.core import pii
from epigrid.core.errors import NotFound, ServiceError
from epigrid.core.lists import list_view
from epigrid.core.scoping import can, in_scope
from epigrid.core.web import field_errors, message_error

from . import selectors, services
from .lists import OBSERVATIONS
from .models import AlertStatus, Colour, Kind, Reason, Slot, Status, Symptom

SYMPTOM_CHOICES = [(Symptom.code(s), s.label) for s in Symptom]


def _form_context(errors=None, values=None, now=None) -> dict:
    return {"client_id": uuid.uuid4().hex, "slots": Slot.choices, "symptom_choices": SYMPTOM_CHOICES,
            "default_slot": services.current_slot(now), "errors": errors or {}, "values": values or {}}


@login_required
def today(request):
    if not can(request.user, HEALTH_RECORD):
        return render(request, "regions/no_jurisdiction.html", status=403)
    context = selectors.worker_today(user=request.user)
    context.update(_form_context())
    return render(request, "health/today.html", context)


@login_required
@require_POST
def today_checkin(request, uid):
    """One person's check-in from "my grid today"; answers with their card (htmx) or back to the page."""
    obs = selectors.observation_for_checkin(user=request.user, uid=uid)
    values = {"temperature": request.POST.get("temperature", ""), "slot": request.POST.get("slot", ""),
              "symptoms": request.POST.getlist("symptoms")}
    errors, saved = {}, None
    try:
        saved, _created = services.checkin_record(
            actor=request.user, observation=obs, slot=values["slot"], temperature=values["temperature"],
            symptoms=values["symptoms"] or ["none"], client_id=request.POST.get("client_id", ""))
    except ServiceError as exc:
        errors = field_errors(exc, default_field="temperature")
    if not request.headers.get("HX-Request"):
        if errors:
            messages.error(request, "; ".join(errors.values()))
        return redirect("health:today")
    context = selectors.worker_today(user=request.user, uid=uid)
    context.update(_form_context(errors, values if errors else None))
    context["obs"] = context["observations"][0] if context["observations"] else None
    context["saved"] = saved
    return render(request, "health/_person.html", context, status=200)


@login_required
@require_POST
def today_call(request, uid):
    """The person's phone in full, as a tel: link to tap (a reveal, audited by the service); answers
    with the link (htmx) or a small page with it."""
    from .services import observation_phone

    phone, error, status = None, None, 200
    try:
        phone = observation_phone(actor=request.user, uid=uid)
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise
        error, status = exc.detail, exc.status
    context = {"uid": uid, "phone": phone, "tel": "".join(c for c in phone or "" if c.isdigit() or c == "+"),
               "error": error}
    if request.headers.get("HX-Request"):  # htmx swaps only a 2xx: the refusal is shown in place
        return render(request, "health/_call.html", context)
    return render(request, "health/call.html", context, status=status)


@login_required
def observation_list(request):
    if not can(request.user, HEALTH_VIEW):
        return render(request, "regions/no_jurisdiction.html", status=403)
    g = request.GET
    status = g.get("status", "active")
    filters = {"status": "" if status == "all" else status, "kind": g.get("kind", ""),
               "colour": g.get("colour", ""), "within": g.get("within", "").strip()[:15]}
    filters = {k: (v if v in _ALLOWED.get(k, (v,)) else "") for k, v in filters.items()}
    qs = selectors.observations_list(user=request.user, **filters)
    # "all" stands in the address for every status, so that a link without it means the default (active).
    params = {**filters, "status": filters["status"] or "all"}
    return list_view(request, OBSERVATIONS, qs, params=params, path=reverse("health:observations"),
                     template="health/observations.html", context={
                         "filters": filters, "statuses": Status.choices, "kinds": Kind.choices,
                         "colours": Colour.choices,
                         "ended": selectors.observations_ended(user=request.user, within=filters["within"]),
                         "workers": selectors.assignable_workers(user=request.user, within=filters["within"])})


_ALLOWED = {"status": ("", *Status.values), "kind": ("", *Kind.values), "colour": ("", *Colour.values)}


@login_required
def observation_detail(request, uid):
    obs = selectors.observation_get(user=request.user, uid=uid)
    may_record = in_scope(request.user, HEALTH_RECORD, obs.grid_code)
    today_ = services.local_now().date()
    return render(request, "health/observation.html", {
        "obs": obs, "checkins": selectors.checkins_of(observation=obs)[:60],
        "alerts": selectors.alerts_list(user=request.user, observation=obs)[:60],
        "history": obs.resident.health_history.all()[:20], "may_record": may_record,
        "may_release": may_record and obs.status == Status.ACTIVE and today_ >= obs.planned_end,
        "reasons": dict(Reason.choices), "AlertStatus": AlertStatus,
        "link": request.session.pop(f"link-{obs.uid}", None),
    })


def _post_action(request, uid, fn, done: str, **kwargs):
    try:
        fn(actor=request.user, uid=uid, **kwargs)
        messages.success(request, done)
    except ServiceError as exc:
        message_error(request, exc)
    return redirect("health:observation", uid=uid)


@login_required
@require_POST
def observation_release(request, uid):
    return _post_action(request, uid, services.observation_release, _("Released from observation."),
                        confirm=request.POST.get("confirm") == "1")


@login_required
@require_POST
def observation_hospital(request, uid):
    return _post_action(request, uid, services.observation_send_to_hospital, _("Recorded: sent to hospital."))


@login_required
@require_POST
def observation_link(request, uid):
    try:
        token = services.checkin_link_token(actor=request.user, uid=uid)
    except ServiceError as exc:
        message_error(request, exc)
        return redirect("health:observation", uid=uid)
    request.session[f"link-{uid}"] = request.build_absolute_uri(reverse("health:resident_checkin", args=[token]))
    return redirect("health:observation", uid=uid)


@login_required
@require_POST
def alert_handle(request, alert_id):
    alert = services.alert_handle(actor=request.user, alert_id=alert_id)
    nxt = request.POST.get("next", "")
    if nxt == "today":
        return redirect("health:today")
    return redirect("health:observation", uid=alert.observation.uid)


def resident_checkin_qr(request, token, fmt):
    """The QR code of a personal check-in link, to save on the phone: answers only to that link's own
    signed token (the code holds the link, nothing else), and not for an ended observation."""
    from django.http import Http404, HttpResponse

    from epigrid.regions.links import qr_response

    if fmt not in ("png", "svg"):
        raise Http404
    try:
        services.checkin_link_resolve(token)  # NotFound (the 404 page) when tampered
    except services.LinkExpired as exc:
        return HttpResponse(exc.detail, status=exc.status, content_type="text/plain; charset=utf-8")
    response = qr_response(request.build_absolute_uri(reverse("health:resident_checkin", args=[token])),
                           fmt=fmt, filename="checkin")
    response["Cache-Control"] = "private, no-store"
    return response


def resident_checkin(request, token):
    """The resident's own check-in page, from the personal link: no login."""
    try:
        obs = services.checkin_link_resolve(token)
    except ServiceError as exc:
        return render(request, "health/resident_link_invalid.html", {"detail": exc.detail}, status=exc.status)
    values, errors, saved, status = {}, {}, None, 200
    if request.method == "POST":
        values = {"temperature": request.POST.get("temperature", ""), "slot": request.POST.get("slot", ""),
                  "symptoms": request.POST.getlist("symptoms")}
        try:
            saved, _created = services.checkin_record(
                actor=services.checkin_link_principal(obs), observation=obs, slot=values["slot"], temperature=values["temperature"],
                symptoms=values["symptoms"] or ["none"], client_id=request.POST.get("client_id", ""))
        except ServiceError as exc:
            errors = field_errors(exc, default_field="temperature")
            status = exc.status
    today_ = services.local_now().date()
    done = {c.slot for c in obs.checkins.filter(date=today_)}
    context = _form_context(errors, values if errors else None)
    context.update({"obs": obs, "saved": saved, "done": done, "today": today_,
                    "masked_name": pii.mask_name(obs.resident.name)})
    return render(request, "health/resident_checkin.html", context, status=status)


def _bulk(request, run, done) -> HttpResponse:
    """One of the observation list's bulk actions: run it, say what it did (or why not), and go back to
    the list of the same area."""
    within = request.POST.get("within", "").strip()
    try:
        count = run()
    except ServiceError as exc:
        message_error(request, exc)
    else:
        messages.success(request, done(count) % {"n": count})
    back = reverse("health:observations")
    return redirect(f"{back}?{urlencode({'within': within})}" if within else back)


@login_required
@require_POST
def observations_release_ended(request):
    """The observation list's "release those whose period has ended", for its current filter."""
    return _bulk(request, lambda: services.observations_release_ended(
        actor=request.user, within=request.POST.get("within", "").strip(),
        confirm=request.POST.get("confirm") == "1"),
        lambda n: ngettext("Released %(n)d person from observation.", "Released %(n)d people from observation.", n))


@login_required
@require_POST
def observations_assign(request):
    """The observation list's "give the people ticked to a grid worker"."""
    return _bulk(request, lambda: services.observations_assign_worker(
        actor=request.user, uids=request.POST.getlist("uids"), worker=request.POST.get("worker", "")),
        lambda n: ngettext("%(n)d observation given to the grid worker.",
                           "%(n)d observations given to the grid worker.", n))
