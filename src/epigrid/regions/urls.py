from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
    path("divisions/<str:code>/", views.division_page, name="division"),
    path("grids/<str:code>/", views.grid_page, name="grid"),
    path("divisions/<str:code>/poster/<str:purpose>/", views.community_poster, name="community_poster"),
]
