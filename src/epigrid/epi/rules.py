"""How long a contact is managed after the last exposure, by the rules as published. A preset names the
phases (kind of observation, days); the observation runs from registration to the last exposure plus the
sum of the phases, in the kind of the first phase still running on the day it starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Phase:
    kind: str  # health.models.Kind: "home" or "centralised"
    days: int


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    phases: tuple[Phase, ...]

    @property
    def days(self) -> int:
        return sum(p.days for p in self.phases)


RULES = {
    # 2020 (third to sixth editions of the protocol): 14 days of medical observation from the last exposure.
    "2020": Rule("2020", _("14 days of medical observation (2020)"), (Phase("home", 14),)),
    # 2022 (ninth edition): 7 days of centralised isolation, then 3 days of home health monitoring.
    "2022": Rule("2022", _("7 days centralised isolation + 3 days home monitoring (2022)"),
                 (Phase("centralised", 7), Phase("home", 3))),
}


def contact_rule() -> Rule:
    try:
        return RULES[settings.EPI_CONTACT_RULE]
    except KeyError:
        raise ImproperlyConfigured(f"EPI_CONTACT_RULE must be one of {', '.join(RULES)}") from None


@dataclass(frozen=True)
class Management:
    rule: str
    end: date  # the last day under management (the observation's planned end)
    kind: str  # the kind of observation on `today`


def management_period(last_exposure: date, today: date, rule: Rule | None = None) -> Management:
    """The management of a contact whose last exposure was on `last_exposure`, seen on `today`."""
    rule = rule or contact_rule()
    end = last_exposure + timedelta(days=rule.days)
    kind, day = rule.phases[-1].kind, last_exposure
    for phase in rule.phases:
        day += timedelta(days=phase.days)
        if today < day:
            kind = phase.kind
            break
    return Management(rule=rule.code, end=end, kind=kind)
