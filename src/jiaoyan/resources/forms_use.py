"""The small forms of using a resource (its page): rating, comment, application."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import StyledForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RatingForm(StyledForm):
    # A plain integer: the service says what a rating may be (1–5), nothing else does.
    score = forms.IntegerField(label=_("Rating"))


class CommentForm(StyledForm):
    text = forms.CharField(
        label=pgettext_lazy("resource comment", "Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class UseForm(StyledForm):
    day = forms.DateField(label=_("Used on"), required=False, widget=DATE)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: the class, and how the resource served the lesson."),
    )
