"""How a service's refusal reaches a page, in one place.

A `NotFound` is the 404 page: `NotFoundMiddleware` turns one that a view lets through into Http404, and
the helpers below re-raise it rather than show it, so "unknown" and "outside your jurisdiction" look
alike on every page. Any other `ServiceError` is shown where the user looks: beside a Django form's
fields (`form_add_errors`), beside a hand-written form's fields (`field_errors`), or as a message after
a redirect (`message_error`).
"""

from django.contrib import messages
from django.http import Http404

from .errors import NotFound, ServiceError


class NotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404 from exception
        return None


def _shown(exc: ServiceError) -> ServiceError:
    if isinstance(exc, NotFound):
        raise exc
    return exc


def form_add_errors(form, exc: ServiceError) -> None:
    """The service's field errors beside the form's fields; a field the form lacks goes on top."""
    _shown(exc)
    if not exc.errors:
        form.add_error(None, exc.detail)
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, e.message)


def field_errors(exc: ServiceError, *, default_field: str = "") -> dict[str, str]:
    """{field: message} for a template's own form. "photos[2]" is shown beside "photos". Without field
    errors the detail goes to `default_field` (or nowhere, when the template shows `detail` itself)."""
    _shown(exc)
    errors = {e.field.split("[")[0]: str(e.message) for e in exc.errors}
    if not errors and default_field:
        errors[default_field] = exc.detail
    return errors


def error_text(exc: ServiceError) -> str:
    """The detail and each field's reason, as one line."""
    _shown(exc)
    return "; ".join([exc.detail, *(f"{e.field}: {e.message}" for e in exc.errors)])


def message_error(request, exc: ServiceError) -> None:
    """The error as a message on the page the view redirects to."""
    messages.error(request, error_text(exc))
