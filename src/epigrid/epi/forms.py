"""The tracing forms collect text and choices; every rule is in the services, whose refusals are shown
beside the fields (core.web.form_add_errors)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epigrid.residents.forms import ResidentForm

from .models import Classification, Evidence, FoundBy, Outcome, Setting, Severity

DATE = {"widget": forms.DateInput(attrs={"type": "date"}), "required": False}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _datetime(label):
    return forms.DateTimeField(label=label, input_formats=DATETIME_FORMATS,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


class CaseFieldsForm(forms.Form):
    """A case's own fields (not its classification after it is reported: that is a reclassification)."""

    severity = forms.ChoiceField(label=_("Clinical severity"), choices=[("", "—"), *Severity.choices], required=False)
    onset_date = forms.DateField(label=_("Onset date"), **DATE)
    sampling_date = forms.DateField(label=_("Sampling date"), **DATE)
    diagnosis_date = forms.DateField(label=_("Diagnosis date"), **DATE)
    report_date = forms.DateField(label=_("Report date"), **DATE)
    found_by = forms.ChoiceField(label=_("Found through"), choices=FoundBy.choices, initial=FoundBy.OTHER)
    imported = forms.BooleanField(label=pgettext_lazy("case", "Imported (came from elsewhere)"), required=False)
    place = forms.CharField(label=_("Hospital or isolation place"), max_length=100, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, required=False)
    outcome_date = forms.DateField(label=_("Outcome date"), **DATE)

    def data_for_service(self) -> dict:
        """Every field as the service reads it; an empty report date means today on a new case."""
        data = dict(self.cleaned_data)
        if data.get("report_date") is None:
            data.pop("report_date", None)
        return data


class CaseNewForm(CaseFieldsForm):
    classification = forms.ChoiceField(label=_("Classification"), choices=Classification.choices[:3],
                                       initial=Classification.SUSPECTED)
    field_order = ["classification"]


def case_edit_form(case, data=None) -> CaseFieldsForm:
    initial = {f: getattr(case, f) for f in CaseFieldsForm.base_fields}
    return CaseFieldsForm(data, initial=initial)


class ReclassifyForm(forms.Form):
    classification = forms.ChoiceField(label=_("Becomes"), choices=Classification.choices)
    on = forms.DateField(label=_("Since"), **DATE)


class PersonNewForm(ResidentForm):
    """A person not yet registered: the registry's own fields, under the prefix "p"."""

    prefix = "p"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("tags", "notes", "lon", "lat"):
            self.fields.pop(name)


class ExposureForm(forms.Form):
    setting = forms.ChoiceField(label=_("Setting"), choices=Setting.choices)
    place = forms.CharField(label=_("Place or vehicle"), max_length=100, required=False)
    seat = forms.CharField(label=_("Seat"), max_length=20, required=False)
    first_date = forms.DateField(label=_("First exposure"), widget=forms.DateInput(attrs={"type": "date"}))
    last_date = forms.DateField(label=_("Last exposure"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class LinkForm(forms.Form):
    DIRECTIONS = [("infector", _("infected this case (its infector)")),
                  ("infectee", _("was infected by this case (its infectee)"))]
    other = forms.CharField(label=_("The other case's number"), max_length=32)
    direction = forms.ChoiceField(label=pgettext_lazy("link", "Which"), choices=DIRECTIONS, initial="infector",
                                  widget=forms.RadioSelect)
    evidence = forms.ChoiceField(label=_("Evidence"), choices=Evidence.choices)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class TrajectoryForm(forms.Form):
    start = _datetime(pgettext_lazy("time", "From"))
    end = _datetime(pgettext_lazy("time", "Until"))
    place = forms.CharField(label=_("Place"), max_length=100)
    setting = forms.ChoiceField(label=_("Setting"), choices=Setting.choices, initial=Setting.VENUE)
    lon = forms.FloatField(label=_("Longitude"), required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class TaskDoneForm(forms.Form):
    result = forms.CharField(label=_("Result"), max_length=300, required=False)
