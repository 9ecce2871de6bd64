from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "epigrid.core"
    label = "core"
    verbose_name = "EpiGrid core"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401  (login and failed-login audit)
        from .tasks import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self)
