from django.urls import path

from . import contact_views, graph_urls, import_urls, views

app_name = "epi"

urlpatterns = [
    path("epi/cases/", views.case_list, name="cases"),
    path("epi/cases/new/", views.case_new, name="case_new"),
    path("epi/cases/from-alert/<int:alert_id>/", views.case_from_alert, name="case_from_alert"),
    path("epi/cases/from-arrival/<uuid:uid>/", views.case_from_arrival, name="case_from_arrival"),
    path("epi/cases/<uuid:uid>/", views.case_detail, name="case"),
    path("epi/cases/<uuid:uid>/edit/", views.case_edit, name="case_edit"),
    path("epi/cases/<uuid:uid>/reclassify/", views.case_reclassify, name="case_reclassify"),
    path("epi/cases/<uuid:uid>/exposures/new/", views.exposure_new, name="exposure_new"),
    path("epi/cases/<uuid:uid>/links/new/", views.link_new, name="link_new"),
    path("epi/cases/<uuid:uid>/trajectory/new/", views.trajectory_new, name="trajectory_new"),
    path("epi/trajectory/<uuid:uid>/exposures/", views.trajectory_exposures, name="trajectory_exposures"),
    path("epi/links/<uuid:uid>/delete/", views.link_delete, name="link_delete"),
    path("epi/contacts/", contact_views.contact_list, name="contacts"),
    path("epi/contacts/<uuid:uid>/", contact_views.contact_detail, name="contact"),
    path("epi/tasks/", contact_views.task_list, name="tasks"),
    path("epi/tasks/mine/", contact_views.tasks_mine, name="tasks_mine"),
    path("epi/tasks/<uuid:uid>/done/", contact_views.task_done, name="task_done"),
]
# The chain and cluster pages (graph_urls.py).
urlpatterns += graph_urls.urlpatterns
# The case and contact imports (import_urls.py).
urlpatterns += import_urls.urlpatterns
