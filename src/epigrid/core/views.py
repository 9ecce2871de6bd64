from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from epigrid.accounts.roles import AUDIT_VIEW
from epigrid.core.scoping import can

from .errors import ServiceError
from .forms import AuditFilterForm
from .selectors import audit_events


@login_required
def home(request):
    from epigrid.regions.selectors import home_overview

    return render(request, "core/home.html", {"nodes": home_overview(user=request.user)})


@login_required
def audit(request):
    if not can(request.user, AUDIT_VIEW):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    page = None
    if form.is_valid() or not form.is_bound:
        try:
            page = Paginator(audit_events(viewer=request.user, **form.filters()), 50).get_page(request.GET.get("page"))
        except ServiceError as exc:
            for e in exc.errors:  # the selector's rules, shown beside the form's fields
                form.add_error(e.field if e.field in form.fields else None, e.message)
    template = "core/_audit_rows.html" if request.headers.get("HX-Request") else "core/audit.html"
    return render(request, template, {"form": form, "page": page})
