from django.urls import path

from . import views

urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("residents/new/", views.resident_new, name="resident-new"),
    path("residents/<uuid:uid>/", views.resident_detail, name="resident"),
    path("residents/<uuid:uid>/reveal/", views.resident_reveal, name="resident-reveal"),
]
