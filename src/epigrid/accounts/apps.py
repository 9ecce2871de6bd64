from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "epigrid.accounts"
    label = "accounts"

    def ready(self):
        from epigrid.core.audit_words import ACTION_LABELS, FIELD_LABELS

        ACTION_LABELS.update({
            "user.create": _("created a user"), "membership.grant": _("granted a role"),
            "token.create": _("created an API token"), "token.revoke": _("revoked an API token"),
        })
        FIELD_LABELS.update({
            "username": _("user name"), "password": _("password"), "role": _("role"), "node_code": _("jurisdiction"),
            "expires_at": _("expires"),
        })

        from epigrid.core.scoping import roles_register

        from .roles import OWN_RECORDS, ROLE_ACTIONS

        roles_register(role_actions=ROLE_ACTIONS, own_records=OWN_RECORDS)
