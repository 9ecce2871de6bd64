from django.urls import path

from . import arrival_views, import_views, views

app_name = "residents"

urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("residents/new/", views.resident_new, name="resident_new"),
    path("residents/<uuid:uid>/", views.resident_detail, name="resident"),
    path("residents/<uuid:uid>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<uuid:uid>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("residents/matches/", views.match_list, name="matches"),
    path("residents/matches/<uuid:uid>/", views.match_decide, name="match_decide"),
    path("residents/import/", import_views.import_page, name="import"),
    path("residents/import/template.xlsx", import_views.import_template, name="import_template"),
    path("residents/import/<uuid:job_id>/", import_views.import_job_page, name="import_job"),
    path("residents/import/<uuid:job_id>/progress/", import_views.import_job_progress, name="import_progress"),
    path("residents/import/<uuid:job_id>/errors.xlsx", import_views.import_job_report, name="import_errors"),
    path("a/<str:token>/", arrival_views.arrival_page, name="arrival_public"),
    path("arrivals/", arrival_views.arrival_list, name="arrivals"),
    path("arrivals/policy/<str:code>/", views.arrival_policy_page, name="arrival_policy"),
    path("arrivals/<uuid:uid>/review/", arrival_views.arrival_review, name="arrival_review"),
    path("divisions/<str:code>/arrival-qr.<str:fmt>", arrival_views.arrival_qr, name="arrival_qr"),
]
