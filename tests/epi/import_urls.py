"""The main URLs with the import pages under /epi/ in the `epi` namespace, as the tracing app's urls will
include them."""

from django.urls import include, path

from epigrid.urls import urlpatterns as main

urlpatterns = [path("epi/", include(("epigrid.epi.import_urls", "epi"), namespace="epi")), *main]
