"""The import pages, included by the tracing app's urls under /epi/ (names prefixed import_)."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("import/", import_views.import_page, name="import_page"),
    path("import/<str:what>/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<uuid:job_id>/", import_views.import_job_page, name="import_job"),
    path("import/<uuid:job_id>/progress/", import_views.import_job_progress, name="import_progress"),
    path("import/<uuid:job_id>/errors.xlsx", import_views.import_job_report, name="import_errors"),
]
