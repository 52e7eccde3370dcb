"""Forms of the resource library pages. Units, subjects, stages, chapters and reviewers
are scoped reference fields (``core.resolve``); authors are typed as staff numbers and
found by the view through the scoped resolver."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from .models import CurriculumNode, Decision, Kind, Resource, Visibility


class ResourceFields(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    title = forms.CharField(label=pgettext_lazy("resource", "Title"), max_length=120)
    summary = forms.CharField(
        label=pgettext_lazy("resource", "Summary"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    grade = forms.IntegerField(label=_("Grade"), required=False, min_value=1, max_value=12)
    edition = forms.CharField(label=_("Textbook edition"), max_length=40, required=False)
    themes = forms.CharField(
        label=_("Themes"),
        required=False,
        help_text=_("Separated by commas, e.g. 新课标, 双减, 大单元."),
    )
    authors = forms.CharField(
        label=_("Authors"),
        required=False,
        help_text=_("Staff numbers separated by commas; empty: yourself."),
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    video_link = forms.CharField(label=_("External video link"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"] = reference_field(user, Subject, label=_("Subject"), required=False)
        self.fields["stage"] = reference_field(user, Stage, label=_("Stage"), required=False)
        self.fields["curriculum_node"] = reference_field(
            user,
            CurriculumNode,
            label=_("Chapter"),
            required=False,
            help_text=_("The chapter's number, from the curriculum page."),
            widget=forms.TextInput,
        )


class ResourceForm(StyledForm, ResourceFields):
    field_order = ["org_unit", "kind", "title"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        units = units_where(user, "add", Resource).order_by("path")
        self.fields["org_unit"] = reference_field(user, OrgUnit, queryset=units, label=_("Unit"))
        self.order_fields(["org_unit", *self.field_order])
        self.style_fields()


class ResourceEditForm(VersionedForm, ResourceFields):
    pass


class FileForm(StyledForm):
    file = forms.FileField(label=_("File"))


class ReviewerForm(StyledForm):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"] = reference_field(
            user,
            Person,
            queryset=Person.objects.filter(user__isnull=False),
            label=_("Reviewer"),
            help_text=_("Staff number of the reviewer."),
            widget=forms.TextInput,
        )
        self.style_fields()


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label=pgettext_lazy("resource review", "Decision"), choices=Decision.choices
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


def _criterion_label(c: dict) -> str:
    """``name（max）``, with the weight when it is not 1: ``name（25 × 1.5）``."""
    weight = c.get("weight", 1)
    extra = f" × {weight:g}" if weight != 1 else ""
    return f"{c['name']}（{c['max']:g}{extra}）"


class ReviewForm(StyledForm):
    """One score field per criterion of the review's rubric copy, a comment and a
    recommendation."""

    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation"), choices=[("", "—"), *Decision.choices], required=False
    )

    def __init__(self, *args, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(review.criteria)
        for n, c in enumerate(self.criteria):
            self.fields[f"score_{n}"] = forms.DecimalField(
                label=_criterion_label(c),
                required=False,
                max_digits=6,
                decimal_places=1,
                initial=review.scores.get(c["name"]),
            )
        self.order_fields([f"score_{n}" for n in range(len(self.criteria))])
        self.fields["comment"].initial = review.comment
        self.fields["recommendation"].initial = review.recommendation
        self.style_fields()

    def service_data(self, data) -> dict:
        scores = {
            c["name"]: data.get(f"score_{n}")
            for n, c in enumerate(self.criteria)
            if data.get(f"score_{n}") is not None
        }
        return {
            "scores": scores,
            "comment": data.get("comment", ""),
            "recommendation": data.get("recommendation", ""),
        }


class CurriculumForm(StyledForm):
    edition = forms.CharField(label=_("Textbook edition"), max_length=40)
    name = forms.CharField(label=pgettext_lazy("curriculum", "Name"), max_length=100)
    grade = forms.IntegerField(label=_("Grade"), required=False, min_value=1, max_value=12)
    order = forms.IntegerField(label=_("Order"), required=False, min_value=0, initial=0)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"] = reference_field(user, Subject, label=_("Subject"))
        self.fields["parent"] = reference_field(
            user,
            CurriculumNode,
            label=_("Parent"),
            required=False,
            widget=forms.TextInput,
            help_text=_("The number of the parent chapter; empty: a top-level node."),
        )
        self.order_fields(["subject", "edition", "parent", "name", "grade", "order"])
        self.style_fields()
