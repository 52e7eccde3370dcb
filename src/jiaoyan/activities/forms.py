"""Forms of the activity pages (they validate shape; services validate rules)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.communities.models import Community
from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.resolve import Unresolved, reference_field, resolve, resolve_many
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import ancestor_ids, user_scopes
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from .models import ORGANISERS, Activity, Material, MonthlyTheme, ResearchPlan, Venue
from .services.participation import staff_to_invite

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _dt_field(label):
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _subject_field():
    """An optional subject: empty for every subject."""
    return forms.ModelChoiceField(
        label=_("Subject"),
        queryset=Subject.objects.all(),
        required=False,
        empty_label=_("All subjects"),
    )


def _stage_field():
    """An optional stage: empty for every stage."""
    return forms.ModelChoiceField(
        label=_("Stage"), queryset=Stage.objects.all(), required=False, empty_label=_("All stages")
    )


def _online_url_field():
    """A venue's online link (a meeting or live-stream address)."""
    return forms.URLField(
        label=_("Online link"), max_length=300, required=False, assume_scheme="https"
    )


def _capacity_field(label):
    """How many people a venue takes: empty for no limit."""
    return forms.IntegerField(
        label=label, min_value=1, max_value=100000, required=False, help_text=_("Empty: no limit.")
    )


def organiser_units(user):
    """Units the user may organise for: the units of their organiser roles, and the
    bureaus and institutes hung directly under them (a researcher's institute)."""
    if user.is_superuser:
        return OrgUnit.objects.exclude(kind=OrgUnit.Kind.SCHOOL).filter(depth__lte=3)
    ids = [s.unit_id for s in user_scopes(user) if s.role in ORGANISERS]
    return OrgUnit.objects.filter(
        Q(pk__in=ids) | Q(parent_id__in=ids, kind__in=[OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE])
    ).order_by("path")


def default_organiser_unit(user, units) -> OrgUnit | None:
    person = getattr(user, "person", None)
    units = list(units[:50])
    if person is not None:
        for u in units:
            if u.pk == person.org_unit_id:
                return u
    return units[0] if units else None


def theme_choices(user, years: tuple[int, ...] | None = None):
    """Themes of the plans of the user's own units and of the units above them."""
    ids = ancestor_ids(user)
    qs = MonthlyTheme.objects.visible_to(user).filter(
        Q(plan__org_unit_id__in=ids) | Q(plan__org_unit__parent_id__in=ids)
    )
    if user.is_superuser:
        qs = MonthlyTheme.objects.filter(plan__org_unit__depth__lte=3)
    if years:
        qs = qs.filter(plan__year__in=years)
    return qs.select_related("plan", "plan__org_unit").order_by(
        "-plan__year", "plan__org_unit__path", "month", "id"
    )


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: MonthlyTheme) -> str:
        return f"{obj.plan.year}年 {obj.plan.org_unit.name} · {obj.month}月：{obj.title}"


class PlanForm(VersionedForm):
    org_unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=120)
    goals = forms.CharField(
        label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    subject = _subject_field()
    stage = _stage_field()
    parent = forms.ModelChoiceField(
        label=_("Follows the plan"),
        queryset=ResearchPlan.objects.none(),
        required=False,
        empty_label=_("(none)"),
        help_text=_("The published plan of a unit above yours that this plan implements."),
    )

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        units = organiser_units(user)
        self.fields["org_unit"].queryset = units
        if editing:
            del self.fields["org_unit"]
        year = timezone.localdate().year
        self.fields["parent"].queryset = (
            ResearchPlan.objects.visible_to(user)
            .filter(status=ResearchPlan.Status.PUBLISHED, year__in=[year - 1, year, year + 1])
            .select_related("org_unit")
            .order_by("-year", "org_unit__path")
        )
        self.fields["parent"].label_from_instance = lambda p: (
            f"{p.year}年 {p.org_unit.name}：{p.title}"
        )

    def clean_parent(self):
        return self.cleaned_data.get("parent")


class ThemeForm(VersionedForm):
    month = forms.TypedChoiceField(
        label=_("Month"), coerce=int, choices=[(m, f"{m}月") for m in range(1, 13)]
    )
    title = forms.CharField(label=_("Theme"), max_length=120)
    goals = forms.CharField(
        label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    subject = _subject_field()
    stage = _stage_field()


class ActivityForm(VersionedForm):
    title = forms.CharField(label=pgettext_lazy("activity", "Title"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    org_unit = forms.ModelChoiceField(label=_("Organiser unit"), queryset=OrgUnit.objects.none())
    subject = _subject_field()
    stage = _stage_field()
    host_staff_no = forms.CharField(
        label=_("Host (staff number)"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to host it yourself."),
    )
    theme = ThemeChoiceField(
        label=_("Monthly theme"),
        queryset=MonthlyTheme.objects.none(),
        required=False,
        empty_label=_("(not tied to a theme)"),
    )
    starts_at = _dt_field(_("Starts at"))
    ends_at = _dt_field(_("Ends at"))
    mode = forms.ChoiceField(label=pgettext_lazy("activity", "Mode"), choices=Activity.Mode.choices)
    registration = forms.ChoiceField(
        label=_("Who takes part"), choices=Activity.Registration.choices
    )
    hours = forms.DecimalField(
        label=_("Hours credited"), min_value=0, max_value=40, decimal_places=1, initial=2
    )
    description = forms.CharField(
        label=pgettext_lazy("activity", "Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    venue_name = forms.CharField(label=_("Main venue"), max_length=100, required=False)
    venue_address = forms.CharField(label=_("Main venue address"), max_length=200, required=False)
    venue_url = _online_url_field()
    venue_capacity = _capacity_field(_("Main venue capacity"))

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = organiser_units(user)
        year = timezone.localdate().year
        self.fields["theme"].queryset = theme_choices(user, (year - 1, year, year + 1))
        self.fields["community"] = reference_field(
            user,
            Community,
            keys=("code",),
            required=False,
            label=_("Organising community (code)"),
            help_text=_("A community of practice (三名+) this activity counts for."),
            widget=forms.TextInput(attrs={"class": "form-control"}),
        )
        if editing:
            for name in ("org_unit", "venue_name", "venue_address", "venue_url", "venue_capacity"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The activity must end after it starts."))
        return data


class VenueForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    unit_code = forms.CharField(
        label=_("Unit code"),
        max_length=20,
        required=False,
        help_text=_("The school or unit hosting this venue; its people are assigned here."),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    online_url = _online_url_field()
    capacity = _capacity_field(_("Capacity"))

    def __init__(self, *args, user=None, current_unit: OrgUnit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.current_unit = user, current_unit

    def clean_unit_code(self):
        code = (self.cleaned_data.get("unit_code") or "").strip()
        if not code:
            return None
        if self.current_unit is not None and code == self.current_unit.code:
            return self.current_unit  # the venue's unit as it is: no new reference
        try:  # through the scoped resolver: absent and out of scope answer the same
            return resolve(self.user, OrgUnit, code, keys=("code",))
        except Unresolved as e:
            raise forms.ValidationError(e.text) from None


ROLE_CHOICES = [
    (Role.TEACHER, pgettext_lazy("role", "Teachers")),
    (Role.PRINCIPAL, _("Principals")),
    (Role.RESEARCHER, _("Researchers")),
    (Role.COUNSELLOR, _("Counsellors")),
]


class InviteForm(StyledForm):
    within = forms.ModelChoiceField(
        label=_("Everyone in"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("(choose a region)"),
    )
    unit_codes = forms.CharField(
        label=_("Or these schools / units (codes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "6105020001、6105020002"}),
    )
    roles = forms.MultipleChoiceField(
        label=_("Who"),
        choices=ROLE_CHOICES,
        initial=[Role.TEACHER],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    subject = _subject_field()
    stage = _stage_field()
    staff_numbers = forms.CharField(
        label=_("And these people (staff numbers)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    beyond_scope = forms.BooleanField(
        label=_(
            "Also invite staff numbers outside my scope (whoever holds them is notified at "
            "once; the numbers are recorded in the history)"
        ),
        required=False,
    )
    audience_only = forms.BooleanField(
        label=_("Only let them register themselves (open registration)"), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["within"].queryset = (
            OrgUnit.objects.visible_to(user)
            .filter(kind=OrgUnit.Kind.REGION)
            .exclude(level=OrgUnit.Level.PROVINCE)
            .order_by("path")
        )

    def clean_unit_codes(self):
        from jiaoyan.core.cells import split_list

        codes = split_list(self.cleaned_data.get("unit_codes") or "")
        try:  # through the scoped resolver: absent and out of scope answer the same
            return resolve_many(self.user, OrgUnit, codes, keys=("code",))
        except Unresolved as e:
            raise forms.ValidationError(e.text) from None

    def clean_staff_numbers(self):
        from jiaoyan.core.cells import split_list

        return split_list(self.cleaned_data.get("staff_numbers") or "")

    def clean(self):
        data = super().clean()
        # Staff numbers go through the scoped resolver: one beyond the user's scope is
        # as unknown as one that exists nowhere, unless they take the explicit path
        # (``beyond_scope``), which invites whoever holds it and tells them so.
        numbers = data.get("staff_numbers") or []
        data["beyond_numbers"] = []
        if numbers:
            try:
                people, beyond = staff_to_invite(
                    self.user, numbers, beyond_scope=bool(data.get("beyond_scope"))
                )
            except Unresolved as e:
                self.add_error("staff_numbers", e.text)
            else:
                data["staff_numbers"] = [p.staff_no for p in people]
                data["beyond_numbers"] = beyond
        given = (
            data.get("staff_numbers") or data["beyond_numbers"] or self.has_error("staff_numbers")
        )
        if not (data.get("within") or data.get("unit_codes") or given):
            raise forms.ValidationError(_("Choose a region, give unit codes or staff numbers."))
        if (data.get("within") or data.get("unit_codes")) and not data.get("roles"):
            self.add_error("roles", _("Choose whom to invite in these units."))
        return data


class ReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class RegisterForm(StyledForm):
    venue = forms.ModelChoiceField(
        label=_("Venue"), queryset=Venue.objects.none(), empty_label=None
    )

    def __init__(self, *args, activity=None, **kwargs):
        super().__init__(*args, **kwargs)
        if activity is not None:
            self.fields["venue"].queryset = activity.venues.all()


class CheckinForm(StyledForm):
    code = forms.CharField(
        label=_("Check-in code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "form-control-lg text-center checkin-code",
                "placeholder": "000000",
            }
        ),
    )
    venue = forms.IntegerField(required=False, widget=forms.HiddenInput)


class FeedbackForm(StyledForm):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        widget=forms.RadioSelect(attrs={"class": "rating-input"}),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class MinutesForm(VersionedForm):
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )


class DecisionForm(StyledForm):
    text = forms.CharField(label=_("Decision"), max_length=300)
    owner_name = forms.CharField(label=_("Responsible person"), max_length=50, required=False)
    due_on = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    for_ledger = forms.BooleanField(label=_("Send to the work ledger"), required=False)


class MaterialForm(StyledForm):
    phase = forms.ChoiceField(
        label=pgettext_lazy("material", "When"), choices=Material.Phase.choices
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Material.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=150, required=False)
    file = forms.FileField(label=_("File"), required=False)
    url = forms.URLField(
        label=_("Or a link"), max_length=300, required=False, assume_scheme="https"
    )

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("url"):
            raise forms.ValidationError(_("Attach a file or give a link."))
        if data.get("file") and data.get("url"):
            raise forms.ValidationError(_("Attach a file or give a link, not both."))
        return data
