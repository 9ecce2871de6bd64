from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "epigrid.residents"
    label = "residents"

    def ready(self):
        from epigrid.core import pii

        pii.ENCRYPTED.append(("residents.Resident", ("id_number", "phone")))
