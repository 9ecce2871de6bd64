"""Checks on free text shared by every import and form: one place for what a name may contain."""

import datetime
import functools
import unicodedata

import phonenumbers
from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

# Refused in any line of text: control characters (Cc) and surrogates (Cs); format characters (Cf: zero-width
# spaces and joiners, bidirectional marks, overrides and isolates, which make a name display as something
# else, "Trojan source", or two names look alike); line and paragraph separators (Zl, Zp: U+2028 breaks a
# line where none may be); private-use and unassigned code points (Co, Cn: nothing a name is written in).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp", "Co", "Cn"})


def text_problem(value, *, max_length: int, required: bool = True) -> str | None:
    """Why `value` is not acceptable as a line of text, or None if it is."""
    if value is None or value == "":
        return _("required") if required else None
    if not isinstance(value, str):
        return _("must be text")
    if len(value) > max_length:
        return _("at most %(n)d characters") % {"n": max_length}
    if value.isprintable():
        # str.isprintable is false for exactly the refused categories plus the spaces other than " " (Zs),
        # which are allowed: a C-speed pass for the usual text, the loop below only for the rest.
        return None
    if not value.isascii():
        for ch in value:
            if unicodedata.category(ch) in _REFUSED_CATEGORIES:
                return _("contains an invisible or control character (U+%(cp)04X)") % {"cp": ord(ch)}
    else:
        for ch in value:
            if ch < " " or ch == "\x7f":
                return _("contains an invisible or control character (U+%(cp)04X)") % {"cp": ord(ch)}
    return None


# Dates users may ask about: the platform's data starts in this century, and keeping dates well inside
# Python's range keeps date arithmetic (a 30-day default window, time zones) from overflowing.
DATE_MIN, DATE_MAX = datetime.date(2000, 1, 1), datetime.date(2999, 12, 31)


def date_problem(value: datetime.date | None) -> str | None:
    """Why a date filter is out of range, or None."""
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        return _("must be between %(a)s and %(b)s") % {"a": DATE_MIN, "b": DATE_MAX}
    return None


def is_ascii_digits(value: str, length: int | None = None) -> bool:
    """ASCII 0-9 only: str.isdigit() also accepts '²', full-width and Arabic-Indic digits."""
    return (isinstance(value, str) and value.isascii() and value.isdigit()
            and (length is None or len(value) == length))


# --- Resident ID numbers (居民身份证) -----------------------------------------------------------------
# python-stdnum's stdnum.cn.ric is the rule: checksum, birth date, and a region code that existed in the
# birth year. Its region lookup reads a data file and costs about 17 µs a call, too slow for a million-
# row import, so its answer is cached per (region, year); the rest is cheap and called as is. The
# property test in tests/core/test_validators.py checks this path against ric.is_valid itself.

@functools.lru_cache(maxsize=100_000)
def _ric_place_ok(region: str, year: int) -> bool:
    try:
        ric.get_birth_place(f"{region}{year:04d}01010000")  # the place check reads no more than this
    except (ValidationError, KeyError):  # KeyError: stdnum's data has regions without a county name
        return False
    return True


def cn_ric_problem(number: str, today: datetime.date | None = None) -> str | None:
    """Why `number` (already compacted: no spaces, upper case) is not a valid resident ID number."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return _("must be 18 characters: 17 digits and a digit or X")
    if number[-1] != ric.calc_check_digit(number):
        return _("the check digit does not match (mistyped?)")
    try:
        # What ric.get_birth_date does, without its compact() of a number compacted already (3/4 of the time).
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _("contains an impossible birth date")
    if birth > (today or datetime.date.today()):
        return _("the birth date is in the future")
    if not _ric_place_ok(number[:6], birth.year):
        return _("the region code %(r)s did not exist in %(y)d") % {"r": number[:6], "y": birth.year}
    return None


def compact_id_number(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper() if isinstance(value, str) else ""


# --- Phone numbers ----------------------------------------------------------------------------------
# phonenumbers is the rule. Parsing costs about 20 µs, so for the common case, an 11-digit mainland
# mobile, its verdict is cached per 5-digit prefix, which is all that its CN metadata looks at; a
# prefix on which three probes disagree is never cached and always parsed.

def _valid_cn(number: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, "CN"))
    except phonenumbers.NumberParseException:
        return False


@functools.lru_cache(maxsize=20_000)
def _mobile_prefix_ok(prefix: str) -> bool | None:
    verdicts = {_valid_cn(prefix + tail) for tail in ("000000", "999999", "583172")}
    return verdicts.pop() if len(verdicts) == 1 else None


def normalise_phone(value: str) -> tuple[str, str | None]:
    """(normalised phone, problem). Mainland mobiles become 11 digits; anything else E.164."""
    if not isinstance(value, str):
        return "", _("must be text")
    raw = value.strip().replace(" ", "").replace("-", "")
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("0086"):
        raw = raw[4:]
    if len(raw) == 11 and raw.isascii() and raw.isdigit() and raw[0] == "1":
        verdict = _mobile_prefix_ok(raw[:5])
        if verdict is not None:
            return raw, None if verdict else _("not a valid mobile number")
    try:
        parsed = phonenumbers.parse(value.strip(), "CN")
    except phonenumbers.NumberParseException:
        return "", _("not a phone number")
    if not phonenumbers.is_valid_number(parsed):
        return "", _("not a valid phone number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = e164.removeprefix("+86")
    return (national if len(national) == 11 and national.startswith("1") else e164), None
