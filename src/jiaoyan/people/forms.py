"""Forms of the people pages (shape only; services enforce the rules)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import (
    NamedModelChoiceField,
    StyledForm,
    StyledFormMixin,
    VersionedForm,
)
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from . import login_limits
from .models import Honour, Person


def _subjects_field():
    """The subjects a role covers (学科)."""
    return forms.ModelMultipleChoiceField(
        label=_("Subjects"), required=False, queryset=Subject.objects.all()
    )


def _stages_field():
    """The stages a role covers (学段), ticked."""
    return forms.ModelMultipleChoiceField(
        label=_("Stages"),
        required=False,
        queryset=Stage.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )


class LoginForm(StyledFormMixin, AuthenticationForm):
    """Django's log-in form (fields ``username`` and ``password``), styled."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self):
        """Record the attempt and apply the account and address limits
        (:mod:`jiaoyan.people.login_limits`) before the password is checked."""
        if self.request is None:
            return super().clean()
        try:
            attempt = login_limits.begin(self.request, self.cleaned_data.get("username"))
        except login_limits.LoginRefused as refused:
            raise forms.ValidationError(str(refused), code="throttled") from None
        try:
            data = super().clean()
        except BaseException:
            login_limits.finish(attempt, succeeded=False)
            raise
        login_limits.finish(attempt, succeeded=True)
        return data


class TokenForm(StyledForm):
    """A new API token of one's own (my account page)."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=60,
        help_text=_("What the token is for, e.g. “school data sync”."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token that does not expire."),
    )


class PersonForm(VersionedForm):
    staff_no = forms.CharField(label=_("Staff number"), max_length=32)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", "—"), *Person.Gender.choices]
    )
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    professional_title = forms.ChoiceField(
        label=_("Professional title"), required=False, choices=[("", "—"), *Person.Title.choices]
    )
    teaching_since = forms.DateField(
        label=_("Teaching since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class NewPersonForm(PersonForm):
    org_unit = NamedModelChoiceField(label=_("Employing unit"), queryset=OrgUnit.objects.none())
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", "—"), *Role.choices])
    subjects = _subjects_field()
    stages = _stages_field()

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        if units is not None:
            self.fields["org_unit"].queryset = units


class StatusForm(StyledForm):
    status = forms.ChoiceField(label=_("Status"), choices=Person.Status.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class TransferForm(StyledForm):
    to_unit = NamedModelChoiceField(label=_("New employing unit"), queryset=OrgUnit.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["to_unit"].queryset = units


class RoleForm(StyledForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    subjects = _subjects_field()
    stages = _stages_field()


class HomeroomForm(StyledForm):
    grade = forms.IntegerField(label=_("Grade"), min_value=1, max_value=12)
    class_name = forms.CharField(label=_("Class"), max_length=30, help_text=_("e.g. 1班"))


class HonourForm(StyledForm):
    title = forms.ChoiceField(label=_("Honour"), choices=Honour.Title.choices)
    title_text = forms.CharField(label=_("Honour (if other)"), max_length=50, required=False)
    level = forms.ChoiceField(label=_("Level"), choices=Honour.Level.choices)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1950, max_value=2100)


class AccountForm(StyledForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, max_length=128
    )


class PasswordResetForm(StyledForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, max_length=128)
