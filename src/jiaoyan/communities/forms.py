"""Forms of the community pages (they validate shape; the services validate the rules)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.activities.models import Activity
from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.roles import ADMINS
from jiaoyan.core.scope import units_where, user_scopes
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .models import Community, Kind, KindPolicy, Measure, Membership, PointItem, PointLevel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label, **kw):
    return forms.DateField(label=label, widget=DATE, **kw)


class _Participants(forms.IntegerField):
    """The least number of participants: left empty, none (0)."""

    def __init__(self, **kw):
        super().__init__(
            label=_("At least participants"), min_value=0, max_value=10000, required=False, **kw
        )

    def to_python(self, value):
        return super().to_python(value) or 0


def owner_units(user):
    """Units a community may be owned by: where the user may add one, at a city, county or
    school (regions, schools, and the bureaus and institutes of regions)."""
    return (
        units_where(user, "add", Community)
        .exclude(level=OrgUnit.Level.TOWN)
        .exclude(level=OrgUnit.Level.PROVINCE)
        .exclude(kind=OrgUnit.Kind.OTHER)
        .order_by("path")
    )


def default_owner(user, units) -> OrgUnit | None:
    person = getattr(user, "person", None)
    if person is not None and units.filter(pk=person.org_unit_id).exists():
        return person.org_unit
    return units.first()


def settings_units(user):
    """Units whose settings the user may edit (bureau admins: their units)."""
    if user.is_superuser:
        return OrgUnit.objects.filter(depth__lte=3).exclude(kind=OrgUnit.Kind.SCHOOL)
    ids = [s.unit_id for s in user_scopes(user) if s.role in ADMINS]
    return OrgUnit.objects.filter(pk__in=ids).order_by("path")


def _text_widget(placeholder: str):
    return forms.TextInput(attrs={"placeholder": placeholder})


class CommunityForm(VersionedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    org_unit = forms.ModelChoiceField(label=_("Owning unit"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=30)
    start_on = _date(_("Starts on"))
    end_on = _date(_("Ends on"))
    goals = forms.CharField(
        label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = owner_units(user)
        self.fields["leader"] = reference_field(
            user,
            Person,
            keys=("staff_no",),
            required=False,
            label=_("Leader (staff number)"),
            widget=_text_widget(_("staff number")),
            help_text=_("The host of a studio, the leading principal of a principal community."),
        )
        self.fields["leading_school"] = reference_field(
            user,
            OrgUnit,
            queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL),
            keys=("code",),
            required=False,
            label=_("Leading school (code)"),
            widget=_text_widget(_("school code")),
            help_text=_("For a school consortium."),
        )
        for f in ("leader", "leading_school"):
            self.fields[f].widget.attrs["class"] = "form-control"
        if editing:
            for name in ("kind", "org_unit", "code", "leader", "leading_school"):
                del self.fields[name]


class MemberForm(StyledForm):
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )
    joined_on = _date(_("Joined on"), required=False)
    across = forms.BooleanField(
        label=_("Invite from beyond the owning unit's area (bureau only)"), required=False
    )

    def __init__(self, *args, user=None, community: Community, **kwargs):
        super().__init__(*args, **kwargs)
        if community.members_are_schools:
            self.fields["member"] = reference_field(
                user,
                OrgUnit,
                queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL),
                keys=("code",),
                label=_("School (code)"),
                widget=_text_widget(_("school code")),
            )
        else:
            self.fields["member"] = reference_field(
                user,
                Person,
                keys=("staff_no",),
                label=_("Person (staff number)"),
                widget=_text_widget(_("staff number")),
            )
        self.fields["member"].widget.attrs["class"] = "form-control"
        self.order_fields(["member", "role", "joined_on", "across"])


class LeaveForm(StyledForm):
    left_on = _date(_("Left on"), required=False)


class YearForm(StyledForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class TaskForm(StyledForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Task"), max_length=100)
    measure = forms.ChoiceField(label=_("Counted from"), choices=Measure.choices)
    activity_kind = forms.ChoiceField(
        label=_("Activity kind"),
        required=False,
        choices=[("", _("Any kind")), *list(Activity.Kind.choices)],
    )
    min_participants = _Participants()
    target = forms.IntegerField(label=_("Target"), min_value=1, max_value=1000)


class TaskEditForm(VersionedForm):
    """A task's title, target, due date and notes (what it counts stays)."""

    name = forms.CharField(label=_("Task"), max_length=100)
    target = forms.IntegerField(label=_("Target"), min_value=1, max_value=1000)
    due_on = _date(_("Due on"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class FileForm(StyledForm):
    file = forms.FileField(label=_("File"))


class EvidenceForm(StyledForm):
    date = _date(_("Date"))
    count = forms.IntegerField(label=_("Count"), min_value=1, max_value=1000, initial=1)
    description = forms.CharField(label=_("What was done"), max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)


class PointRuleForm(StyledForm):
    org_unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    item = forms.ChoiceField(label=pgettext_lazy("points", "Item"), choices=PointItem.choices)
    level = forms.ChoiceField(label=_("Level"), choices=PointLevel.choices, required=False)
    points = forms.DecimalField(
        label=pgettext_lazy("points", "Points"), min_value=0, max_value=1000, decimal_places=1
    )
    min_participants = _Participants()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = settings_units(user)


class PolicyForm(StyledForm):
    org_unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    target_share = forms.DecimalField(
        label=KindPolicy._meta.get_field("target_share").verbose_name,
        min_value=0,
        max_value=100,
        decimal_places=1,
    )
    max_per_person = forms.IntegerField(
        label=KindPolicy._meta.get_field("max_per_person").verbose_name,
        min_value=1,
        max_value=20,
    )
    allow_several_leads = forms.BooleanField(
        label=KindPolicy._meta.get_field("allow_several_leads").verbose_name, required=False
    )
    allow_several_consortia = forms.BooleanField(
        label=KindPolicy._meta.get_field("allow_several_consortia").verbose_name, required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = settings_units(user)


class TemplateForm(TaskForm):
    org_unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["year"]
        self.fields["org_unit"].queryset = settings_units(user)
        self.order_fields(["org_unit", "kind"])
