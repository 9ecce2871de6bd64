from django.urls import path

from . import arrival_views, views

urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("residents/new/", views.resident_new, name="resident-new"),
    path("residents/<uuid:uid>/", views.resident_detail, name="resident"),
    path("residents/<uuid:uid>/edit/", views.resident_edit, name="resident-edit"),
    path("residents/<uuid:uid>/reveal/", views.resident_reveal, name="resident-reveal"),
    path("residents/matches/", views.match_list, name="resident-matches"),
    path("residents/matches/<uuid:uid>/", views.match_decide, name="resident-match-decide"),
    path("a/<str:token>/", arrival_views.arrival_page, name="arrival-public"),
    path("arrivals/", arrival_views.arrival_list, name="arrivals"),
    path("arrivals/policy/<str:code>/", views.arrival_policy_page, name="arrival-policy"),
    path("arrivals/<uuid:uid>/review/", arrival_views.arrival_review, name="arrival-review"),
    path("divisions/<str:code>/arrival-qr.<str:fmt>", arrival_views.arrival_qr, name="arrival-qr"),
]
