from django.urls import path

from . import import_views

urlpatterns = [
    path("residents/import/", import_views.import_page, name="residents_import"),
    path("residents/import/template.xlsx", import_views.import_template, name="residents_import_template"),
    path("residents/import/<uuid:job_id>/", import_views.import_job_page, name="residents_import_job"),
    path("residents/import/<uuid:job_id>/progress/", import_views.import_job_progress,
         name="residents_import_progress"),
    path("residents/import/<uuid:job_id>/errors.xlsx", import_views.import_job_report,
         name="residents_import_errors"),
]
