from django.contrib import admin
from django.urls import include, path

from epigrid.api import build_api
from epigrid.core.api import api_not_found

api = build_api()

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", api_not_found),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("epigrid.accounts.urls")),
    path("", include("epigrid.core.urls")),
    path("", include("epigrid.regions.urls")),
    path("", include("epigrid.residents.urls")),
    path("", include("epigrid.health.urls")),
    path("", include("epigrid.patrol.urls")),
    path("", include("epigrid.epi.urls")),
]
