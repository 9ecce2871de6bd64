"""The JSON API under /api/v1/: authentication, and the routers of the apps put together.

Every app that has an `api` module contributes its `router`; none is listed here by name, so a new app
joins the API by having one.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from ninja import NinjaAPI
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from epigrid.accounts.services import token_authenticate
from epigrid.core.api import JsonParser, Renderer, error_handlers_install


class TokenAuth(HttpBearer):
    """`Authorization: Bearer eg_...` (tokens from `epigrid token create`)."""

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The login cookie (with the CSRF check on writes), unless the client sent its own credentials:
    a wrong bearer token must answer 401, not fall through to a CSRF failure."""

    def __call__(self, request):
        if request.headers.get("Authorization"):
            return None
        return super().__call__(request)


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="EpiGrid API",
        version="1",
        description="网格化社区疫情防控平台接口。Grid-based community epidemic prevention and control. Every list "
                    "and object is limited to the caller's jurisdiction; anything outside it answers 404.",
        auth=[TokenAuth(), SessionAuth()],
        urls_namespace="api",
        renderer=Renderer(),
        parser=JsonParser(),
    )
    error_handlers_install(api)
    for config in apps.get_app_configs():
        if config.name.startswith("epigrid.") and find_spec(f"{config.name}.api") is not None:
            api.add_router("", import_module(f"{config.name}.api").router)
    return api
