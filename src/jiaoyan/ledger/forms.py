"""Forms of the ledger pages (shape only; the services enforce the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import NamedModelChoiceField, StyledForm, VersionedForm
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .models import Item, Priority, Recurrence, Status
from .queries import BOARDS, OVERDUE, Filters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def person_choices(user, unit: OrgUnit | None):
    """People of ``unit`` (the responsible person picker), as ``user`` sees them."""
    if unit is None:
        return Person.objects.none()
    return (
        Person.objects.visible_to(user)
        .filter(org_unit=unit, status=Person.Status.ACTIVE)
        .order_by("name", "pk")
    )


class ItemForm(VersionedForm):
    """Create or change an item (assigning unit only when creating)."""

    org_unit = NamedModelChoiceField(
        label=_("Assigning unit"), queryset=OrgUnit.objects.none(), empty_label=None
    )
    title = forms.CharField(label=pgettext_lazy("ledger", "Work item"), max_length=200)
    description = forms.CharField(
        label=pgettext_lazy("ledger", "Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    responsible_unit = NamedModelChoiceField(
        label=_("Responsible unit"), queryset=OrgUnit.objects.none()
    )
    responsible_person = forms.ModelChoiceField(
        label=_("Responsible person"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("People of the responsible unit; choose the unit first."),
    )
    collaborators = forms.ModelMultipleChoiceField(
        label=_("Collaborating units"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    due_on = forms.DateField(label=_("Deadline"), required=False, widget=DATE)
    recurrence = forms.ChoiceField(label=_("Recurrence"), choices=Recurrence.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "新课标、双减"}),
        help_text=_("Separate tags with 、 or commas."),
    )
    remarks = forms.CharField(label=_("Remarks"), required=False, max_length=300)

    def __init__(self, *args: Any, user, creating: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visible_units = OrgUnit.objects.visible_to(user).order_by("path")
        if creating:
            self.fields["org_unit"].queryset = units_where(user, "add", Item).order_by("path")
        else:
            del self.fields["org_unit"]
        self.fields["responsible_unit"].queryset = visible_units
        self.fields["collaborators"].queryset = visible_units
        unit = self._chosen_unit(visible_units)
        self.fields["responsible_person"].queryset = person_choices(user, unit)
        # Choosing the unit reloads the person picker with its people (htmx).
        self.fields["responsible_unit"].widget.attrs.update(
            {
                "hx-get": reverse("ledger:person_options"),
                "hx-target": "#id_responsible_person",
                "hx-trigger": "change",
            }
        )

    def _chosen_unit(self, units) -> OrgUnit | None:
        raw = self.data.get("responsible_unit") if self.is_bound else None
        if raw is None:
            raw = self.initial.get("responsible_unit")
        if isinstance(raw, OrgUnit):
            return raw
        try:
            return units.filter(pk=int(raw)).first() if raw else None
        except (TypeError, ValueError):
            return None


class ReportForm(StyledForm):
    text = forms.CharField(
        label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    percent = forms.IntegerField(
        label=_("Progress (%)"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 5}),
    )


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class NoteForm(VersionedForm):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


STATUS_FILTERS = [("", _("Open and done")), (OVERDUE, _("Overdue")), *Status.choices]


class BoardFilterForm(StyledForm):
    board = forms.ChoiceField(
        label=_("Board"), choices=list(BOARDS.items()), required=False, widget=forms.HiddenInput
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("title")}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    unit = NamedModelChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=30)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *Priority.choices],
        required=False,
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DATE)
    due_to = forms.DateField(label=_("Due until"), required=False, widget=DATE)

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The offices and regions of the scope (a city has ~200, against ~1,600 schools):
        # a list of every school would weigh more than the board. A school chosen elsewhere
        # (a link from a report) is offered too, so the filter shows what it filters by.
        shown = ~Q(kind=OrgUnit.Kind.SCHOOL)
        chosen = str(self.data.get("unit") or "")
        if chosen.isdigit():
            shown |= Q(pk=int(chosen))
        self.fields["unit"].queryset = (
            OrgUnit.objects.visible_to(user).filter(shown).order_by("path")
        )

    def filters(self) -> Filters:
        if not self.is_valid():
            # A bad value (unknown unit, malformed date) is dropped, not an error page.
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        return Filters(
            unit=data.get("unit"),
            tag=(data.get("tag") or "").strip(),
            status=data.get("status") or "",
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            priority=data.get("priority") or "",
            q=(data.get("q") or "").strip(),
        )


class LedgerImportForm(StyledForm):
    org_unit = NamedModelChoiceField(
        label=_("Assigning unit"), queryset=OrgUnit.objects.none(), empty_label=None
    )
    file = forms.FileField(label=_("File"))
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[
            ("all", _("Import everything, or nothing if any row is wrong")),
            ("valid_only", _("Import the valid rows, skip the wrong ones")),
            ("dry_run", _("Only check the file, write nothing")),
        ],
        initial="all",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units_where(user, "import", Item).order_by("path")
