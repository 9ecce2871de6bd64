from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "epigrid.core"
    label = "core"
    verbose_name = "EpiGrid core"

    def ready(self):
        from . import signals  # noqa: F401  (login and failed-login audit)
