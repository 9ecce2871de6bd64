from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from epigrid.core.scoping import AUDIT_VIEW, can

from .errors import ServiceError
from .forms import AuditFilterForm
from .lists import AUDIT, list_view
from .selectors import audit_events
from .web import form_add_errors


def refused(request):
    """A page or list the user's role may not open: 403, the one answer for every such page (an
    object outside the scope answers 404 instead, so its existence does not show)."""
    return render(request, "core/refused.html", status=403)


@login_required
def audit(request):
    if not can(request.user, AUDIT_VIEW):
        return refused(request)
    form = AuditFilterForm(request.GET or None)
    template = "core/_audit_rows.html" if request.headers.get("HX-Request") else "core/audit.html"
    if form.is_valid() or not form.is_bound:
        try:
            events = audit_events(viewer=request.user, **form.filters())
        except ServiceError as exc:
            form_add_errors(form, exc)  # the selector's rules, shown beside the form's fields
        else:
            params = {name: request.GET.get(name, "") for name in form.fields}
            return list_view(request, AUDIT, events, params=params, path=reverse("core:audit"),
                             template="core/audit.html", partial="core/_audit_rows.html", context={"form": form})
    return render(request, template, {"form": form, "page": None})
