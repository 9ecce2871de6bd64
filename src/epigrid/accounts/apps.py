from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "epigrid.accounts"
    label = "accounts"

    def ready(self):
        from epigrid.core.scoping import roles_register

        from .roles import OWN_RECORDS, ROLE_ACTIONS

        roles_register(role_actions=ROLE_ACTIONS, own_records=OWN_RECORDS)
