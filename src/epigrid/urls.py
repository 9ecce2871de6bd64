from django.contrib import admin
from django.urls import include, path

from epigrid.core.api import build_api

api = build_api()

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("epigrid.accounts.urls")),
    path("", include("epigrid.core.urls")),
    path("", include("epigrid.regions.urls")),
]
