from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .audit_words import action_choices


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    object = forms.CharField(label=_("Object (id or code)"), required=False, max_length=64)
    # picked from the actions the apps registered, by their names (core/audit_words.py)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=())
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("all")), *action_choices()]

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound else {}
        return {"actor_name": data.get("user") or None, "object_id": data.get("object") or None,
                "action": data.get("action") or None, "date_from": data.get("date_from"),
                "date_to": data.get("date_to")}
