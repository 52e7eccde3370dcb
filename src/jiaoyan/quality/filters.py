"""Filters of the quality lists (django-filter); every choice list is limited to what the
viewer sees: the owners and years of the exams in scope, the classes of the rows shown."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, search_filter
from jiaoyan.orgs.models import OrgUnit, Stage

from .models import Candidate, Exam


def _exam_owners(request):
    """The units that own an exam the viewer sees (their own, and those above them)."""
    if request is None:
        return OrgUnit.objects.none()
    owners = Exam.objects.visible_to(request.user).order_by().values("org_unit_id")
    return OrgUnit.objects.filter(pk__in=owners).order_by("path")


class ExamFilter(df.FilterSet):
    q = search_filter(_("Exam name"), "name__icontains")
    kind = df.ChoiceFilter(label=_("Kind"), choices=Exam.Kind.choices, empty_label=_("All kinds"))
    stage = df.ModelChoiceFilter(
        label=_("Stage"),
        queryset=Stage.objects.exclude(code="preschool"),
        empty_label=_("All stages"),
    )
    year = df.ChoiceFilter(
        label=_("Year"), field_name="date", lookup_expr="year", empty_label=_("All years")
    )
    owner = df.ModelChoiceFilter(
        label=_("Owner unit"),
        field_name="org_unit",
        queryset=_exam_owners,
        empty_label=_("All owner units"),
    )
    status = df.ChoiceFilter(
        label=_("Analysis"),
        field_name="analysis_status",
        choices=Exam.Status.choices,
        empty_label=_("Any status"),
    )

    class Meta:
        model = Exam
        fields: list[str] = []
        form = FilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The years of the exams in scope, read when the choices are shown or checked (a
        # plain function: the form copies its fields, and a bound method would copy us).
        exams = self.queryset

        def years() -> list[tuple[int, int]]:
            dates = exams.order_by().dates("date", "year", order="DESC")
            return [(d.year, d.year) for d in dates]

        self.filters["year"].extra["choices"] = years


class StudentFilter(df.FilterSet):
    """Filters of one school's student rows in one exam (the queryset the page gives)."""

    class_name = df.ChoiceFilter(label=_("Class"), empty_label=_("All classes"))
    gender = df.ChoiceFilter(
        label=_("Gender"), choices=Candidate.Gender.choices, empty_label=_("Any gender")
    )

    class Meta:
        model = Candidate
        fields: list[str] = []
        form = FilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows = self.queryset

        def classes() -> list[tuple[str, str]]:  # a function, as ExamFilter's years
            names = rows.order_by("class_name").values_list("class_name", flat=True)
            return [(n, n) for n in names.distinct()]

        self.filters["class_name"].extra["choices"] = classes
