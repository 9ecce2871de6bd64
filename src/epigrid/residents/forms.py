from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.core.reveal import Purpose

from .models import IdType, Tag, Transport


class ResidentForm(forms.Form):
    """Collects text; the rules are in validation.clean_resident, called by the service."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
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


class ResidentEditForm(ResidentForm):
    """A change from the person's page. The ID number and phone are never put into the form (that would
    show them in full without a reveal): left empty they stay as they are; typed, they replace the old."""

    KEEP_IF_EMPTY = ("id_number", "phone")

    def __init__(self, *args, resident=None, **kwargs):
        data = args[0] if args else kwargs.get("data")
        if resident is not None and data is None:
            kwargs["initial"] = {
                "name": resident.name, "id_type": resident.id_type, "address": resident.address,
                "grid_code": resident.grid_code, "lon": "" if resident.lon is None else resident.lon,
                "lat": "" if resident.lat is None else resident.lat, "notes": resident.notes,
                "tags": [t.name.lower() for t in Tag if resident.tags & t.value]}
        super().__init__(*args, **kwargs)
        self.fields["id_number"].required = False
        for name in self.KEEP_IF_EMPTY:
            masked = getattr(resident, f"{name}_masked", "") if resident is not None else ""
            self.fields[name].help_text = (_("Now %(v)s; leave empty to keep it.") % {"v": masked} if masked
                                           else _("Leave empty to keep it."))
        self.fields["grid_code"].help_text = ""

    def changes(self) -> dict:
        """What the service is given: every field, except an ID number or phone left empty, and the position
        only when one was typed."""
        data = dict(self.cleaned_data)
        for name in (*self.KEEP_IF_EMPTY, "lon", "lat"):
            if not str(data.get(name) or "").strip():
                data.pop(name, None)
        if "id_number" not in data:
            data.pop("id_type", None)  # a type is checked against its number: changed together or not at all
        return data


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("ID number")), ("phone", _("Mobile phone"))])
    purpose = forms.ChoiceField(label=pgettext_lazy("reveal", "Purpose"), choices=[("", "—"), *Purpose.choices])
    reason = forms.CharField(label=pgettext_lazy("reveal", "Why, in a few words"), max_length=500)


class ArrivalForm(forms.Form):
    """The public arrival registration form (rules in arrivals.arrival_register)."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    id_type = forms.ChoiceField(label=_("ID type"), choices=IdType.choices, initial=IdType.RIC)
    id_number = forms.CharField(label=_("ID number"), max_length=30)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    address = forms.CharField(label=_("Address in this community (building, unit, room)"), max_length=200)
    origin_province = forms.CharField(label=_("Arriving from: province"), max_length=30, required=False)
    origin_city = forms.CharField(label=_("Arriving from: city"), max_length=30, required=False)
    # When the typed place cannot be recognised, the person picks it here (plain selects rendered by the
    # server: they work on a phone, without JavaScript and without a CDN). The service checks them.
    origin_province_code = forms.ChoiceField(label=_("or pick the province"), required=False, choices=())
    origin_city_code = forms.ChoiceField(label=_("and the city"), required=False, choices=())
    arrival_date = forms.CharField(label=_("Arrival date"), widget=forms.DateInput(attrs={"type": "date"}))
    transport = forms.ChoiceField(label=_("Transport"), choices=Transport.choices)
    transport_number = forms.CharField(label=_("Train, flight or plate number"), max_length=30, required=False)
    places_14d = forms.CharField(label=_("Places stayed in the last 14 days"), max_length=300, required=False)
    symptoms = forms.MultipleChoiceField(label=_("Symptoms"), required=False, widget=forms.CheckboxSelectMultiple)
    temperature = forms.CharField(label=_("Temperature (°C)"), max_length=5, required=False,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    lon = forms.CharField(required=False, widget=forms.HiddenInput)
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    consent = forms.BooleanField(label=_("I have read the notice above and agree"), required=False)

    def __init__(self, *args, **kwargs):
        from epigrid.health.models import Symptom

        super().__init__(*args, **kwargs)
        self.fields["symptoms"].choices = [(Symptom.code(s), s.label) for s in Symptom]
        from epigrid.core.places import names

        table = names()
        provinces = sorted(c for c in table if c.endswith("0000"))
        self.fields["origin_province_code"].choices = [("", "—")] + [(c, table[c]) for c in provinces]
        # Cities grouped under their province, so the list reads well even without any script.
        self.fields["origin_city_code"].choices = [("", "—")] + [
            (table[p], [(c, table[c]) for c in sorted(table) if c[:2] == p[:2] and c.endswith("00")
                        and not c.endswith("0000")]) for p in provinces]

