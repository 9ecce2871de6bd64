"""The JSON API's shared parts: the error format, pagination, the body parser, and core's own router
(the audit log). The API itself is put together in epigrid/api.py from every app's router."""

from datetime import date, datetime

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PageNumberPagination, paginate
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from .errors import ServiceError
from .middleware import has_nul
from .selectors import audit_events


class Pagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=1000)


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {**ERRORS, 403: ErrorOut, 409: ErrorOut, 413: ErrorOut}


class Renderer(JSONRenderer):
    # Chinese names as themselves, not \uXXXX escapes: readable and a third smaller.
    json_dumps_params = {"ensure_ascii": False}


def _field(loc) -> str:
    # ninja puts where the value came from first ("query", "path", "body"): the client knows its field
    # by name, so keep the rest.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("query", "path", "body", "form", "header", "cookie", "file"):
        parts = parts[1:]
        # A Schema parameter adds its own name ("body.crs", "q.lon"): the client knows only "crs".
        if len(parts) > 1 and parts[0] in ("body", "q", "filters"):
            parts = parts[1:]
    return ".".join(parts) or "body"


# Pydantic writes its messages in English; users read them in their own language. Keyed by pydantic's error
# type, formatted with the error's context (its limits); a type not listed keeps pydantic's own words.
VALIDATION_MESSAGES = {
    "missing": gettext_lazy("this field is required"),
    "string_type": gettext_lazy("text is required"),
    "string_too_short": gettext_lazy("at least %(min_length)s characters"),
    "string_too_long": gettext_lazy("at most %(max_length)s characters"),
    "string_pattern_mismatch": gettext_lazy("not in the expected format"),
    "int_type": gettext_lazy("a whole number is required"),
    "int_parsing": gettext_lazy("a whole number is required"),
    "int_from_float": gettext_lazy("a whole number is required"),
    "float_type": gettext_lazy("a number is required"),
    "float_parsing": gettext_lazy("a number is required"),
    "decimal_type": gettext_lazy("a number is required"),
    "decimal_parsing": gettext_lazy("a number is required"),
    "finite_number": gettext_lazy("a finite number is required"),
    "bool_type": gettext_lazy("true or false is required"),
    "bool_parsing": gettext_lazy("true or false is required"),
    "greater_than": gettext_lazy("must be greater than %(gt)s"),
    "greater_than_equal": gettext_lazy("must be at least %(ge)s"),
    "less_than": gettext_lazy("must be less than %(lt)s"),
    "less_than_equal": gettext_lazy("must be at most %(le)s"),
    "too_short": gettext_lazy("at least %(min_length)s items"),
    "too_long": gettext_lazy("at most %(max_length)s items"),
    "list_type": gettext_lazy("a list is required"),
    "dict_type": gettext_lazy("an object is required"),
    "model_attributes_type": gettext_lazy("an object is required"),
    "uuid_type": gettext_lazy("not a valid UUID"),
    "uuid_parsing": gettext_lazy("not a valid UUID"),
    "date_type": gettext_lazy("not a valid date (YYYY-MM-DD)"),
    "date_parsing": gettext_lazy("not a valid date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": gettext_lazy("not a valid date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": gettext_lazy("a date without a time is required"),
    "datetime_type": gettext_lazy("not a valid date and time (ISO 8601)"),
    "datetime_parsing": gettext_lazy("not a valid date and time (ISO 8601)"),
    "datetime_from_date_parsing": gettext_lazy("not a valid date and time (ISO 8601)"),
    "timezone_aware": gettext_lazy("a time zone is required"),
    "enum": gettext_lazy("must be one of: %(expected)s"),
    "literal_error": gettext_lazy("must be one of: %(expected)s"),
    "json_invalid": gettext_lazy("the body is not valid JSON"),
    "extra_forbidden": gettext_lazy("unknown field"),
}


def validation_message(error: dict) -> str:
    """One pydantic error in the user's language. Our own validators raise ValueError with a message
    already translated: pydantic prefixes it with "Value error, ", which is dropped."""
    kind, msg = error.get("type", ""), str(error.get("msg", "invalid"))
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    template = VALIDATION_MESSAGES.get(kind)
    if template is None:
        return msg
    try:
        return str(template) % {k: v for k, v in (error.get("ctx") or {}).items()}
    except (KeyError, TypeError, ValueError):
        return msg


class JsonParser(Parser):
    """JSON bodies as ninja reads them, refusing a NUL character anywhere (see NulCharacterMiddleware)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if has_nul(data):
            raise HttpError(400, _("The request holds a NUL character."))
        return data


def error_handlers_install(api: NinjaAPI) -> None:
    """The API's one error format ({"detail", "errors": [{"field", "message"}]}) for every failure."""

    def error(request, status: int, detail: str, errors=()):
        return api.create_response(request, {"detail": detail, "errors": list(errors)}, status=status)

    @api.exception_handler(ServiceError)
    def _service_error(request, exc: ServiceError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def _validation_error(request, exc: ValidationError):
        errors = [{"field": _field(e.get("loc", ())), "message": validation_message(e)} for e in exc.errors]
        return error(request, 400, _("Invalid request."), errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return error(request, 401, _("Authentication required: log in, or send a valid bearer token."))

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        # ninja's own words for a body it cannot parse, in the caller's language
        detail = str(exc)
        if detail == "Cannot parse request body":
            return error(request, 400, _("The request body cannot be read."),
                         [{"field": "body", "message": _("malformed body")}])
        return error(request, exc.status_code, detail)

    @api.exception_handler(TooManyFieldsSent)
    def _too_many_fields(request, exc):
        return error(request, 400, _("Too many form fields."), [{"field": "body", "message": _("too many fields")}])

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return error(request, 404, _("Not found."))

    # A body Django cannot parse (multipart without a boundary, or cut short; too many fields; too large)
    # fails when ninja first reads request.POST/FILES, inside the operation: answered here, once for every
    # endpoint, in the API's format instead of Django's HTML 400 page (or a 500 where it escaped).
    @api.exception_handler(MultiPartParserError)
    def _bad_multipart(request, exc):
        return error(request, 400, _("The request body is not valid multipart/form-data: %(m)s")
                     % {"m": str(exc)[:200]}, [{"field": "body", "message": _("malformed multipart body")}])

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        # A body under the middleware's limit whose form fields alone pass Django's memory cap.
        return error(request, 413, _("The request is too large."),
                     [{"field": "body", "message": _("form fields too long")}])

    @api.exception_handler(SuspiciousOperation)
    @api.exception_handler(BadRequest)
    def _bad_request(request, exc):
        return error(request, 400, _("The request body cannot be read."),
                     [{"field": "body", "message": _("malformed body")}])



def api_not_found(request, rest=""):
    """Unknown paths under /api/v1/ answer in the API's own error format, not an HTML page."""
    from django.http import JsonResponse

    return JsonResponse({"detail": _("No such API endpoint."), "errors": []}, status=404,
                        json_dumps_params={"ensure_ascii": False})


router = Router(tags=["audit"])


class AuditOut(Schema):
    id: int
    at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    jurisdiction_code: str
    changes: dict
    reason: str
    ip: str | None


class AuditFilter(Schema):
    user: str | None = Field(None, description="Actor's username.")
    object: str | None = Field(None, description="Object id or code, e.g. a grid code.")
    action: str | None = None
    date_from: date | None = Field(None, ge=date(2000, 1, 1), le=date(2999, 12, 31))
    date_to: date | None = Field(None, ge=date(2000, 1, 1), le=date(2999, 12, 31))


@router.get("/audit", response={200: list[AuditOut], **ERRORS, 403: ErrorOut}, summary="Browse the audit log (auditors)")
@paginate(Pagination, page_size=50)
def audit_list(request, filters: Query[AuditFilter]):
    return audit_events(viewer=request.user, actor_name=filters.user, object_id=filters.object,
                        action=filters.action, date_from=filters.date_from, date_to=filters.date_to)

