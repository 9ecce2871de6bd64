"""The import pages under /epi/import/ (names prefixed import_), added to the tracing app's urls (epi/urls.py)."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("epi/import/", import_views.import_page, name="import_page"),
    path("epi/import/<str:what>/template.xlsx", import_views.import_template, name="import_template"),
    path("epi/import/<uuid:job_id>/", import_views.import_job_page, name="import_job"),
    path("epi/import/<uuid:job_id>/progress/", import_views.import_job_progress, name="import_progress"),
    path("epi/import/<uuid:job_id>/errors.xlsx", import_views.import_job_report, name="import_errors"),
]
