from django.urls import path

from . import views

app_name = "patrol"

urlpatterns = [
    path("patrol/", views.patrol_home, name="home"),
    path("patrol/report/", views.report, name="report"),
    path("patrol/incidents/", views.incident_list, name="incidents"),
    path("patrol/incidents/<int:incident_id>/", views.incident_page, name="incident"),
    path("patrol/incidents/<int:incident_id>/<str:action>/", views.incident_act, name="act"),
    path("patrol/patrols/<int:patrol_id>/", views.patrol_page, name="patrol"),
    path("patrol/kpis/", views.kpi_page, name="kpis"),
    path("patrol/plans/<str:grid_code>/", views.plan_page, name="plan"),
    path("r/<str:token>/", views.public_report, name="public_report"),
    path("divisions/<str:code>/report-qr.<str:fmt>", views.public_report_qr, name="public_report_qr"),
]
