"""Why someone sees a personal value in full: a purpose picked from a list and a few words of their own.

Every reveal (an ID number, a phone) is audited with this reason; an auditor must be able to judge it,
so "ok", "test" or "1" are refused. One rule for every app that reveals personal data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import FieldError, ServiceError

MIN_DETAIL = 4
# Words people type to get past a required field; none of them says why.
_FILLER = {"ok", "okay", "test", "testing", "none", "null", "n/a", "na", "no", "yes", "xxx", "asdf", "qwer",
           "1234", "abcd", "测试", "没有", "无", "好的", "查看", "需要", "看看", "工作需要"}


class Purpose(models.TextChoices):
    TRACING = "tracing", gettext_lazy("Epidemic investigation or tracing")
    CONTACT = "contact", gettext_lazy("Contacting the person")
    VERIFY = "verify", gettext_lazy("Verifying identity")
    REQUEST = "request", gettext_lazy("At the person's own request")
    CORRECTION = "correction", gettext_lazy("Correcting the record")
    OTHER = "other", gettext_lazy("Other")


def reveal_reason(purpose, detail) -> str:
    """The reason as audited ("contact: 通知明早核酸"), or ServiceError naming the field at fault."""
    errors = []
    if purpose not in Purpose.values:
        errors.append(FieldError("purpose", _("choose one of %(p)s") % {"p": ", ".join(Purpose.values)}))
    detail = " ".join(str(detail or "").split())
    words = detail.replace(" ", "")
    if len(words) < MIN_DETAIL or len(set(words)) < 2 or detail.lower() in _FILLER:
        errors.append(FieldError("reason", _("say in a few words why you need it (at least %(n)d characters)")
                                 % {"n": MIN_DETAIL}))
    if errors:
        raise ServiceError(_("Say why you need to see it."), errors)
    return f"{purpose}: {detail}"[:500]
