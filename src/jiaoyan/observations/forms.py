"""Forms of the observation pages (shape only; services enforce the rules)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.activities.models import Activity
from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from .models import ComparisonRound, Observation, Rubric
from .queries import activity_label
from .scoring import TEXT_HELP
from .st import DEFAULT_INTERVAL

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TeacherSelect(forms.Select):
    """A select of people whose options carry their subject and stage (JS fills those)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_data: dict[str, dict[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


class ActivityChoiceField(forms.ModelChoiceField):
    """A research activity, shown with its date and organiser."""

    def label_from_instance(self, obj) -> str:
        return activity_label(obj)


def _activity_queryset(activities) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(pk__in=[a.pk for a in activities])
        .select_related("org_unit")
        .order_by("-starts_at", "-id")
    )


class LessonForm(VersionedForm):
    """The lesson: who, what, when, which rubric."""

    teacher = forms.ModelChoiceField(
        label=_("Teacher observed"),
        queryset=Person.objects.none(),
        widget=TeacherSelect(attrs={"data-teacher-select": ""}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Observation.Kind.choices)
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=Subject.objects.all())
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.all())
    grade = forms.CharField(
        label=_("Grade"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Grade 7")}),
    )
    class_name = forms.CharField(
        label=_("Class"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Class 3")}),
    )
    topic = forms.CharField(label=_("Topic"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DATE)
    period = forms.IntegerField(
        label=_("Period"),
        required=False,
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    rubric = forms.ModelChoiceField(label=_("Rubric"), queryset=Rubric.objects.none())
    round = forms.ModelChoiceField(
        label=_("Same-lesson round"),
        queryset=ComparisonRound.objects.none(),
        required=False,
        help_text=_("Only for a same-lesson (同课异构) observation."),
    )
    activity = ActivityChoiceField(
        label=_("Research activity"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_(
            "For an observation within an activity or a teaching inspection: the activity "
            "it was made in (a round's observations follow the round)."
        ),
    )
    activity_title = forms.CharField(
        label=_("Activity not on the platform"),
        max_length=200,
        required=False,
        help_text=_("Otherwise, the name of the activity, if it is not on the platform."),
    )

    def __init__(
        self,
        *args,
        staff=None,
        rubrics=None,
        rounds=None,
        teacher_data=None,
        activities=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if activities is not None:
            self.fields["activity"].queryset = _activity_queryset(activities)
        if staff is not None:
            self.fields["teacher"].queryset = staff
        if teacher_data:
            self.fields["teacher"].widget.option_data = teacher_data
        if rubrics is not None:
            self.fields["rubric"].queryset = rubrics
        if rounds is not None:
            self.fields["round"].queryset = ComparisonRound.objects.filter(
                pk__in=[r.pk for r in rounds]
            ).select_related("subject", "stage")
        self.fields["date"].initial = timezone.localdate()


class RecordForm(StyledForm):
    """What the observer writes during and after the lesson (scores are separate fields)."""

    st_sequence = forms.CharField(
        label=_("S-T sequence"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(
            attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false", "data-st-sequence": ""}
        ),
        help_text=_("T = teacher behaviour, S = student behaviour, one letter per sample."),
    )
    st_interval = forms.IntegerField(
        label=_("Sampling interval (seconds)"),
        initial=DEFAULT_INTERVAL,
        min_value=5,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-st-interval": ""}),
    )
    notes = forms.CharField(
        label=_("Notes while watching"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    strengths = forms.CharField(
        label=_("Strengths"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    suggestions = forms.CharField(
        label=_("Suggestions"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CorrectionForm(RecordForm):
    grade = forms.CharField(label=_("Grade"), max_length=20, required=False)
    class_name = forms.CharField(label=_("Class"), max_length=20, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DATE)
    period = forms.IntegerField(label=_("Period"), required=False, min_value=1, max_value=12)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        help_text=_("Kept in the history with the changes."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReplyForm(StyledForm):
    text = forms.CharField(
        label=_("Your reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RubricForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    org_unit = forms.ModelChoiceField(label=_("Owning unit"), queryset=OrgUnit.objects.none())
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=Stage.objects.all(), required=False, empty_label=_("Any stage")
    )
    subject = forms.ModelChoiceField(
        label=_("Subject"),
        queryset=Subject.objects.all(),
        required=False,
        empty_label=_("Any subject"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    structure = forms.CharField(
        label=_("Dimensions and criteria"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace", "spellcheck": "false"}),
        help_text=TEXT_HELP,
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=200,
        required=False,
        help_text=_("Shown in the version history."),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["org_unit"].queryset = units


class RoundForm(StyledForm):
    org_unit = forms.ModelChoiceField(label=_("Organiser"), queryset=OrgUnit.objects.none())
    topic = forms.CharField(label=_("Topic"), max_length=200)
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=Subject.objects.all())
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.all())
    date = forms.DateField(label=_("Date"), widget=DATE)
    activity = ActivityChoiceField(
        label=_("Research activity"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The same-lesson (同课异构) activity the round is held in."),
    )
    activity_title = forms.CharField(
        label=_("Activity not on the platform"),
        max_length=200,
        required=False,
        help_text=_("Otherwise, the name of the activity, if it is not on the platform."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, units=None, activities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["org_unit"].queryset = units
        if activities is not None:
            self.fields["activity"].queryset = _activity_queryset(activities)


class LiaisonForm(StyledForm):
    researcher = forms.ModelChoiceField(label=_("Researcher"), queryset=Person.objects.none())
    school = forms.ModelChoiceField(label=_("School"), queryset=OrgUnit.objects.none())
    start_date = forms.DateField(label=_("From"), widget=DATE, required=False)
    end_date = forms.DateField(label=_("Until"), widget=DATE, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, researchers=None, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        if researchers is not None:
            self.fields["researcher"].queryset = researchers
        if schools is not None:
            self.fields["school"].queryset = schools
