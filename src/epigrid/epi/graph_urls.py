"""The graph's pages; epi/urls.py adds these to the app's own (namespace "epi")."""

from django.urls import path

from . import graph_views as views

urlpatterns = [
    path("epi/chains/<uuid:person>/", views.chain, name="chain"),
    path("epi/clusters/", views.cluster_list, name="clusters"),
    path("epi/clusters/propose/", views.clusters_propose, name="clusters_propose"),
    path("epi/clusters/<uuid:uid>/", views.cluster_page, name="cluster"),
    path("epi/clusters/<uuid:uid>/confirm/", views.cluster_confirm, name="cluster_confirm"),
    path("epi/clusters/<uuid:uid>/dismiss/", views.cluster_dismiss, name="cluster_dismiss"),
    path("epi/clusters/<uuid:uid>/rename/", views.cluster_rename, name="cluster_rename"),
]
