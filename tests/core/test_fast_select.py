"""The fast <select> renderer writes exactly what Django's templates write."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from jiaoyan.core.forms import FastSelectRenderer, StyledForm
from jiaoyan.orgs.models import OrgUnit, Stage

CHOICES = [
    ("", "---------"),
    ("a", "A <&> “引号”"),
    (3, 'Three "quoted"'),
    ("safe", mark_safe("<b>safe</b>")),
    ("lazy", gettext_lazy("Unit")),
    ("Group <1>", [("b", "B"), ("c", "C & D")]),
]


class Everything(StyledForm):
    plain = forms.ChoiceField(choices=CHOICES, required=False)
    required = forms.ChoiceField(choices=CHOICES)
    many = forms.MultipleChoiceField(choices=CHOICES, required=False)
    null = forms.NullBooleanField(required=False)
    attrs = forms.ChoiceField(
        choices=CHOICES,
        widget=forms.Select(attrs={"data-x": True, "data-off": False, "title": 'a "b" <c>'}),
    )
    disabled = forms.ChoiceField(choices=CHOICES, disabled=True)
    stages = forms.ModelMultipleChoiceField(queryset=Stage.objects.all(), required=False)
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.all())


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"plain": "a", "required": "3", "many": ["b", "safe"], "null": "true", "attrs": "c"},
        {"plain": "nope", "many": ["x"], "null": "false", "unit": "999999"},
    ],
)
def test_same_html_as_django_templates(world, data):
    form = Everything(data)
    form.fields["unit"].queryset = OrgUnit.objects.order_by("path")
    fast = FastSelectRenderer()
    stock = DjangoTemplates()
    assert fast._stock_select
    for name in form.fields:
        bound = form[name]
        widget = bound.field.widget
        attrs = {"id": bound.auto_id, **bound.build_widget_attrs({})}
        assert widget.render(bound.html_name, bound.value(), attrs, renderer=fast) == (
            widget.render(bound.html_name, bound.value(), attrs, renderer=stock)
        ), name


def test_the_site_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "jiaoyan.core.forms.FastSelectRenderer"
    assert isinstance(get_default_renderer(), FastSelectRenderer)


@pytest.mark.parametrize("data", [None, {"unit": "x"}])
def test_named_choice_field_renders_and_cleans_like_model_choice_field(world, data):
    from jiaoyan.core.forms import NamedModelChoiceField

    units = OrgUnit.objects.order_by("path")
    chosen = world.school_a.org_unit

    class Plain(StyledForm):
        unit = forms.ModelChoiceField(queryset=units)

    class Named(StyledForm):
        unit = NamedModelChoiceField(queryset=units)

    bound = {"unit": str(chosen.pk)} if data is None else data
    for initial in (None, chosen.pk):
        assert str(Named(initial={"unit": initial})["unit"]) == str(
            Plain(initial={"unit": initial})["unit"]
        )
    plain, named = Plain(bound), Named(bound)
    assert str(named["unit"]) == str(plain["unit"])
    assert named.is_valid() == plain.is_valid()
    if plain.is_valid():
        assert named.cleaned_data["unit"] == chosen
        assert named.cleaned_data["unit"].path == chosen.path
    else:
        assert named.errors == plain.errors
