from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IdType, Tag


class ResidentForm(forms.Form):
    """Collects text; the rules are in validation.clean_resident, called by the service."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_type = forms.ChoiceField(label=_("ID type"), choices=IdType.choices, initial=IdType.RIC)
    id_number = forms.CharField(label=_("ID number"), max_length=30)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    grid_code = forms.CharField(label=_("Grid code"), max_length=15, required=False,
                                help_text=_("Leave empty to locate from the coordinates."))
    lon = forms.CharField(label=_("Longitude"), max_length=20, required=False)
    lat = forms.CharField(label=_("Latitude"), max_length=20, required=False)
    tags = forms.MultipleChoiceField(label=_("Tags"), choices=[(t.name.lower(), t.label) for t in Tag],
                                     required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("ID number")), ("phone", _("Mobile phone"))])
    reason = forms.CharField(label=_("Reason"), max_length=500)
