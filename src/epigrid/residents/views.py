from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from epigrid.accounts.roles import PII_REVEAL, RESIDENTS_EDIT, RESIDENTS_VIEW
from epigrid.core.errors import NotFound, ServiceError
from epigrid.core.scoping import can, in_scope

from . import selectors, services
from .forms import ResidentForm, RevealForm
from .models import Tag


def _show_errors(form, exc: ServiceError) -> None:
    """The service's field errors beside the form's fields (a field the form lacks goes on top)."""
    for e in exc.errors or [None]:
        if e is None:
            form.add_error(None, exc.detail)
        else:
            form.add_error(e.field if e.field in form.fields else None, e.message)


@login_required
def resident_list(request):
    if not can(request.user, RESIDENTS_VIEW):
        raise Http404
    tag = request.GET.get("tag", "")
    tag_value = Tag[tag.upper()].value if tag.upper() in Tag.__members__ else 0
    residents = selectors.residents_search(user=request.user, q=request.GET.get("q", "")[:50],
                                           within=request.GET.get("within", ""), tag=tag_value)
    page = Paginator(residents.order_by("grid_code", "name", "id"), 50).get_page(request.GET.get("page"))
    template = "residents/_rows.html" if request.headers.get("HX-Request") else "residents/list.html"
    return render(request, template, {"page": page, "tags": Tag, "can_edit": can(request.user, RESIDENTS_EDIT)})


@login_required
def resident_new(request):
    if not can(request.user, RESIDENTS_EDIT):
        raise Http404
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.resident_create(actor=request.user, data=form.cleaned_data)
        except ServiceError as exc:
            _show_errors(form, exc)
        else:
            return redirect("resident", uid=resident.uid)
    return render(request, "residents/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def resident_detail(request, uid):
    try:
        resident = selectors.resident_get(user=request.user, uid=uid)
    except NotFound:
        raise Http404 from None
    return render(request, "residents/detail.html", {
        "resident": resident, "reveal_form": RevealForm(),
        "can_reveal": in_scope(request.user, PII_REVEAL, resident.grid_code)})


@login_required
@require_POST
def resident_reveal(request, uid):
    form = RevealForm(request.POST)
    value = None
    if form.is_valid():
        try:
            value = services.resident_reveal(actor=request.user, uid=uid, field=form.cleaned_data["field"],
                                             reason=form.cleaned_data["reason"])
        except NotFound:
            raise Http404 from None
        except ServiceError as exc:
            _show_errors(form, exc)
    return render(request, "residents/_revealed.html", {"form": form, "value": value},
                  status=200 if value is not None else 400)
