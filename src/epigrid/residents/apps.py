from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "epigrid.residents"
    label = "residents"

    def ready(self):
        from epigrid.core import pii, tasks

        pii.ENCRYPTED.append(("residents.Resident", ("id_number", "phone")))
        tasks.SCHEDULES.append(("residents.purge", "epigrid.residents.retention.purge_task", 24 * 60))
