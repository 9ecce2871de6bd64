from django.apps import AppConfig


class PatrolConfig(AppConfig):
    name = "epigrid.patrol"
    label = "patrol"
