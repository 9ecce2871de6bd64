"""Pages of the case and contact imports: upload (with the templates to download), then a job page whose
progress partial htmx polls, and the error report. Included under /epi/ by the tracing app's urls."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from epigrid.accounts.roles import EPI_EDIT
from epigrid.core.errors import ServiceError
from epigrid.core.exports import XLSX_TYPE, xlsx_response
from epigrid.core.scoping import can

from .importing import (
    CASE_COLUMNS,
    CONTACT_COLUMNS,
    KINDS,
    epi_import_get,
    epi_import_start,
    epi_imports_recent,
    epi_report_available,
    epi_report_open,
    epi_template_xlsx,
)

COUNTS = {"cases": _("Cases reported"), "contacts": _("New contacts"), "contacts_extended": _("Contacts extended"),
          "contacts_released": _("Contacts whose period had already ended"), "exposures": _("Exposures recorded"),
          "observations": _("Observations started"), "observations_extended": _("Observations extended"),
          "tasks": _("Tracing tasks given")}
WHAT = [("contacts", _("Contacts and their exposures")), ("cases", _("Cases"))]


class EpiImportForm(forms.Form):
    what = forms.ChoiceField(label=_("What the file holds"), choices=WHAT, initial="contacts",
                             widget=forms.RadioSelect)
    file = forms.FileField(label=_("File (CSV or XLSX)"))


def _columns(columns: dict) -> list[tuple[str, str]]:
    return [(names[0], "、".join(names[1:])) for names in columns.values()]


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    if not can(request.user, EPI_EDIT):
        raise Http404
    form = EpiImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = epi_import_start(actor=request.user, what=form.cleaned_data["what"], upload=form.cleaned_data["file"])
        except ServiceError as exc:
            for e in exc.errors or [None]:
                form.add_error(e.field if e and e.field in form.fields else None, e.message if e else exc.detail)
        else:
            return redirect("epi:import_job", job_id=job.pk)
    return render(request, "epi/import.html", {
        "form": form, "jobs": epi_imports_recent(user=request.user),
        "case_columns": _columns(CASE_COLUMNS), "contact_columns": _columns(CONTACT_COLUMNS),
    }, status=400 if form.errors else 200)


@login_required
def import_template(request, what):
    if what not in KINDS:
        raise Http404
    try:
        data = epi_template_xlsx(user=request.user, what=what)
    except ServiceError:
        raise Http404 from None
    name = _("case-import-template.xlsx") if what == "cases" else _("contact-import-template.xlsx")
    return xlsx_response(data, str(name))


def _job_context(user, job_id) -> dict:
    job = epi_import_get(user=user, job_id=job_id)
    counts = (job.result or {}).get("counts") or {}
    return {"job": job, "report": epi_report_available(user, job),
            "counts": [(label, counts[key]) for key, label in COUNTS.items() if key in counts]}


@login_required
def import_job_page(request, job_id):
    return render(request, "epi/import_job.html", _job_context(request.user, job_id))


@login_required
def import_job_progress(request, job_id):
    return render(request, "epi/_import_progress.html", _job_context(request.user, job_id))


@login_required
def import_job_report(request, job_id):
    job, path = epi_report_open(user=request.user, job_id=job_id)
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115 (closed by Django)
                        filename=f"import-errors-{job.pk}.xlsx", content_type=XLSX_TYPE)
