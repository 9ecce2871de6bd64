"""Checks on free text shared by every import and form: one place for what a name may contain."""

import unicodedata

from django.utils.translation import gettext as _

# Bidirectional overrides and isolates can make a name display as something else ("Trojan source").
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_problem(value, *, max_length: int, required: bool = True) -> str | None:
    """Why `value` is not acceptable as a line of text, or None if it is."""
    if value is None or value == "":
        return _("required") if required else None
    if not isinstance(value, str):
        return _("must be text")
    if len(value) > max_length:
        return _("at most %(n)d characters") % {"n": max_length}
    for ch in value:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            return _("contains a control character (U+%(cp)04X)") % {"cp": ord(ch)}
    return None


def is_ascii_digits(value: str, length: int | None = None) -> bool:
    """ASCII 0-9 only: str.isdigit() also accepts '²', full-width and Arabic-Indic digits."""
    return (isinstance(value, str) and value.isascii() and value.isdigit()
            and (length is None or len(value) == length))
