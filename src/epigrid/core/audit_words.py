"""The audit log read as sentences by an auditor: each action's name in the reader's language, the actor's
display name, and what changed in words. The apps register the names of their actions and of the fields
they write (in AppConfig.ready), as they register their schedules: core imports no app."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# action -> its name ("resident.create" -> "registered a resident"); field -> its name
ACTION_LABELS: dict[str, object] = {
    "login": gettext_lazy("logged in"),
    "login_failed": gettext_lazy("failed to log in"),
    "logout": gettext_lazy("logged out"),
    "list.export": gettext_lazy("exported a list"),  # core/lists.py
}
FIELD_LABELS: dict[str, object] = {}
# what the services write instead of a personal value
WORDS = {"changed": gettext_lazy("%(field)s changed"), "revealed": gettext_lazy("%(field)s shown in full"),
         "recorded": gettext_lazy("%(field)s recorded"), "set": gettext_lazy("%(field)s set")}
# principals that are not users (core.principals audit names)
ACTOR_LABELS = {"system": gettext_lazy("the system"), "public": gettext_lazy("a member of the public")}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def action_choices() -> list[tuple[str, str]]:
    """Every registered action with its name, by name, for the log's action picker."""
    return sorted(((a, str(label)) for a, label in ACTION_LABELS.items()), key=lambda pair: pair[1])


def _value(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(_value(v) for v in value)
    return str(value)


def changes_in_words(changes: dict) -> list[str]:
    """One line per field: "address: changed" (a personal value is never logged, only that it changed),
    "state: registered → dispatched" for a pair, "days: 14" for a value set."""
    lines = []
    for field, value in (changes or {}).items():
        name = str(FIELD_LABELS.get(field, field))
        if isinstance(value, str) and value in WORDS:
            lines.append(str(WORDS[value]) % {"field": name})
        elif isinstance(value, list) and len(value) == 2 and not isinstance(value[0], dict):
            lines.append(_("%(field)s: %(old)s → %(new)s") % {"field": name, "old": _value(value[0]),
                                                             "new": _value(value[1])})
        else:
            lines.append(f"{name}: {_value(value)}")
    return lines


def audit_describe(events) -> list:
    """The events with `actor_display`, `action_label` and `change_lines` for the page and the export: the
    display names of the page's actors in one query."""
    events = list(events)
    ids = {e.actor_id for e in events if e.actor_id is not None}
    names = {pk: display or username for pk, username, display in
             get_user_model().objects.filter(pk__in=ids).values_list("pk", "username", "display_name")}
    for e in events:
        if e.actor_id is not None:
            e.actor_display = names.get(e.actor_id, e.actor_name)
        else:
            e.actor_display = str(ACTOR_LABELS.get(e.actor_name.split(":")[0], e.actor_name))
        e.action_label = action_label(e.action)
        e.change_lines = changes_in_words(e.changes)
    return events
