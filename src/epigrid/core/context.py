"""Request-scoped facts the services need but should not take from the request (the client address)."""

import contextvars

client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_address", default=None)
