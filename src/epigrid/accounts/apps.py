from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "epigrid.accounts"
    label = "accounts"
