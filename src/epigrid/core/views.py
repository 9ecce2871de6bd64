from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from epigrid.core.scoping import AUDIT_VIEW, can

from .errors import ServiceError
from .forms import AuditFilterForm
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
    page = None
    if form.is_valid() or not form.is_bound:
        try:
            page = Paginator(audit_events(viewer=request.user, **form.filters()), 50).get_page(request.GET.get("page"))
        except ServiceError as exc:
            form_add_errors(form, exc)  # the selector's rules, shown beside the form's fields
    template = "core/_audit_rows.html" if request.headers.get("HX-Request") else "core/audit.html"
    return render(request, template, {"form": form, "page": page})
