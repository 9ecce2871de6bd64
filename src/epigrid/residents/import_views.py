"""Pages of the resident bulk import: upload, then a job page whose progress partial htmx polls."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from epigrid.accounts.roles import RESIDENTS_EDIT
from epigrid.core.errors import ServiceError
from epigrid.core.exports import XLSX_TYPE, xlsx_response
from epigrid.core.geo import CRS_CHOICES
from epigrid.core.scoping import can

from .importing import (
    COLUMNS,
    import_job_get,
    import_job_start,
    import_job_warnings,
    import_jobs_recent,
    import_report_available,
    import_report_open,
    import_template_xlsx,
)

CRS_LABELS = {"wgs84": _("WGS-84 (GPS)"), "gcj02": _("GCJ-02 (Amap, Tencent)"), "bd09": _("BD-09 (Baidu)")}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    skip_invalid = forms.BooleanField(label=_("Import the good rows even if some are invalid"), required=False)
    crs = forms.ChoiceField(label=_("Coordinate system of 经度/纬度"), initial="wgs84",
                            choices=[(c, CRS_LABELS[c]) for c in CRS_CHOICES])


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    if not can(request.user, RESIDENTS_EDIT):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_start(actor=request.user, upload=form.cleaned_data["file"],
                                   skip_invalid=form.cleaned_data["skip_invalid"], crs=form.cleaned_data["crs"])
        except ServiceError as exc:
            for e in exc.errors or [None]:
                form.add_error(e.field if e and e.field in form.fields else None, e.message if e else exc.detail)
        else:
            return redirect("residents:import_job", job_id=job.pk)
    return render(request, "residents/import_upload.html", {
        "form": form, "jobs": import_jobs_recent(user=request.user), "headers": [h[0] for h in COLUMNS.values()],
        "synonyms": [(h[0], "、".join(h[1:])) for h in COLUMNS.values()],
    }, status=400 if form.errors else 200)


@login_required
def import_template(request):
    try:
        data = import_template_xlsx(user=request.user)
    except ServiceError:
        raise Http404 from None  # a role that may not import: no template (as the import page)
    return xlsx_response(data, _("resident-import-template.xlsx"))


def _job_context(user, job_id) -> dict:
    job = import_job_get(user=user, job_id=job_id)
    return {"job": job, "warnings": import_job_warnings(job), "report": import_report_available(user, job)}


@login_required
def import_job_page(request, job_id):
    return render(request, "residents/import_job.html", _job_context(request.user, job_id))


@login_required
def import_job_progress(request, job_id):
    return render(request, "residents/import_progress.html", _job_context(request.user, job_id))


@login_required
def import_job_report(request, job_id):
    job, path = import_report_open(user=request.user, job_id=job_id)
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115 (closed by Django)
                        filename=f"import-errors-{job.pk}.xlsx",
                        content_type=XLSX_TYPE)
