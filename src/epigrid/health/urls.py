from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("health/today/", views.today, name="today"),
    path("health/today/<uuid:uid>/checkin/", views.today_checkin, name="today_checkin"),
    path("health/today/<uuid:uid>/call/", views.today_call, name="today_call"),
    path("health/observations/", views.observation_list, name="observations"),
    path("health/observations/release-ended/", views.observations_release_ended, name="release_ended"),
    path("health/observations/assign/", views.observations_assign, name="assign"),
    path("health/observations/<uuid:uid>/", views.observation_detail, name="observation"),
    path("health/observations/<uuid:uid>/release/", views.observation_release, name="release"),
    path("health/observations/<uuid:uid>/hospital/", views.observation_hospital, name="hospital"),
    path("health/observations/<uuid:uid>/link/", views.observation_link, name="link"),
    path("health/alerts/<int:alert_id>/handle/", views.alert_handle, name="alert_handle"),
    path("c/<str:token>/", views.resident_checkin, name="resident_checkin"),
    path("c/<str:token>/qr.<str:fmt>", views.resident_checkin_qr, name="resident_checkin_qr"),
]
