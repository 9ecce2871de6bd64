from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "epigrid.health"
    label = "health"
