"""The one error type of the services. The API turns it into a 4xx JSON body, forms show it by the field."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message": str(self.message)}


class ServiceError(Exception):
    """A request the service refuses. `errors` names each offending field (or file row / feature)."""

    status = 400

    def __init__(self, detail: str, errors: list[FieldError] | None = None, *, status: int | None = None):
        super().__init__(str(detail))
        self.detail = str(detail)
        self.errors = list(errors or [])
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return {"detail": self.detail, "errors": [e.as_dict() for e in self.errors]}


class NotFound(ServiceError):
    """Unknown, or outside the caller's jurisdiction: the two are indistinguishable on purpose."""

    status = 404


class PermissionDenied(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409
