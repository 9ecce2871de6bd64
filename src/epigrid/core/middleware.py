from .context import client_address


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry our own proxies appended to X-Forwarded-For."""
    from django.conf import settings

    if settings.PROXY_COUNT:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= settings.PROXY_COUNT:
            return hops[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_address.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_address.reset(token)


def has_nul(value) -> bool:
    """True when a NUL character hides anywhere in `value` (str, or lists and dicts of them)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


class NulCharacterMiddleware:
    """A NUL character in the path or the query string answers 400. No code, name or id holds one, and
    PostgreSQL refuses it in any query (a 500 otherwise); the API's JSON bodies are checked by its parser
    (core.api), forms by Django's own validator."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import HttpResponseBadRequest, JsonResponse
        from django.utils.translation import gettext as _

        if "\x00" in request.path or any(has_nul(k) or has_nul(request.GET.getlist(k)) for k in request.GET):
            message = _("The request holds a NUL character.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "errors": []}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
