from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "epigrid.residents"
    label = "residents"
