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


# What a bearer API response carries instead of the page policy: a JSON answer loads nothing and is
# framed nowhere (django-csp builds its header per response; this one is a constant).
API_RESPONSE_HEADERS = {"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
                        "X-Frame-Options": "DENY"}


def is_bearer_api(request) -> bool:
    return request.path_info.startswith("/api/") and request.META.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")


class BearerApiMiddleware:
    """A token-authenticated API request (`Authorization: Bearer` under /api/) takes a short path to its
    view: it has no session, no login cookie, no CSRF token and no flash messages, and the page
    middleware after this one (sessions, CSRF, messages, authentication, django-axes' login lockout,
    whitenoise, the page CSP) would only cost time on it (docs/performance.md has the profile). What it
    still needs is done here: the NUL check, the body limit, the language (Accept-Language or the language cookie, as
    LocaleMiddleware picks it: the API answers errors in the caller's language), the client address for
    the audit log, and the response headers. The token itself is checked by the API (epigrid/api.py).
    Everything else (a page, a login-cookie API call, Swagger UI) takes the full chain."""

    def __init__(self, get_response):
        from django.core.handlers.base import BaseHandler
        from django.core.handlers.exception import convert_exception_to_response

        self.get_response = get_response
        # Django's own view dispatch (URL resolution, the view, its exception handling), no middleware.
        self.views = BaseHandler()
        self.views._view_middleware, self.views._template_response_middleware = [], []
        self.views._exception_middleware = []
        self.views._middleware_chain = convert_exception_to_response(self.views._get_response)

    def __call__(self, request):
        if not is_bearer_api(request):
            return self.get_response(request)
        from django.contrib.auth.models import AnonymousUser
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        request.user = AnonymousUser()  # until the token authenticates
        response = nul_refusal(request) or body_refusal(request)
        if response is None:
            token = client_address.set(client_ip(request))
            try:
                response = self.views.get_response(request)
            finally:
                client_address.reset(token)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        for name, value in API_RESPONSE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def has_nul(value) -> bool:
    """True when a NUL character hides anywhere in `value` (str, or lists and dicts of them)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def nul_refusal(request):
    """400 when a NUL character hides in the path or the query string, else None. No code, name or id
    holds one, and PostgreSQL refuses it in any query (a 500 otherwise); the API's JSON bodies are
    checked by its parser (core.api), forms by Django's own validator."""
    from django.http import HttpResponseBadRequest, JsonResponse
    from django.utils.translation import gettext as _

    if "\x00" in request.path or any(has_nul(k) or has_nul(request.GET.getlist(k)) for k in request.GET):
        message = _("The request holds a NUL character.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "errors": []}, status=400)
        return HttpResponseBadRequest(message)
    return None


class NulCharacterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return nul_refusal(request) or self.get_response(request)


def body_limit(request) -> int:
    """The largest body this request may carry: a view's own limit (BODY_LIMITS, by view name), else
    REQUEST_MAX_BYTES for uploads (multipart) and DATA_UPLOAD_MAX_MEMORY_SIZE for anything read whole
    into memory (JSON, urlencoded forms)."""
    from django.conf import settings
    from django.urls import Resolver404, resolve

    try:
        name = resolve(request.path_info).view_name
    except Resolver404:
        name = None
    if name in settings.BODY_LIMITS:
        return settings.BODY_LIMITS[name]
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
        return settings.REQUEST_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def smallest_body_limit() -> int:
    from django.conf import settings

    return min(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.REQUEST_MAX_BYTES, *settings.BODY_LIMITS.values())


def too_large(request, limit: int):
    """413 in the shape the client reads: the API's JSON error, or a page."""
    import json

    from django.http import HttpResponse
    from django.template.loader import render_to_string
    from django.utils.translation import gettext as _

    detail = _("The request is too large.")
    message = _("at most %(mb)s MB") % {"mb": f"{limit / 2**20:.3g}"}
    if request.path_info.startswith("/api/"):
        body = {"detail": detail, "errors": [{"field": "body", "message": message}]}
        return HttpResponse(json.dumps(body, ensure_ascii=False), status=413, content_type="application/json")
    # The request has not been through authentication (nothing may read its body first): base.html draws
    # the page without the menu, as for a visitor.
    return HttpResponse(render_to_string("core/413.html", {"detail": detail, "message": message}, request=request),
                        status=413)


def body_refusal(request):
    """413 for a body longer than its limit, before anything reads it (Django would otherwise spool any
    size of upload to disk, or answer a JSON body over its memory cap with a generic 400); else None."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # Django reads no body then either
    # Under the smallest limit of all, which limit applies does not matter: no URL resolution then.
    if length > smallest_body_limit():
        limit = body_limit(request)
        if length > limit:
            return too_large(request, limit)
    return None


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return body_refusal(request) or self.get_response(request)
