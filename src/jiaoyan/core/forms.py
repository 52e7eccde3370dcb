"""Form helpers: Tabler classes on every widget, the hidden version for stale forms, and
the form renderer that writes long <select> lists quickly."""

from __future__ import annotations

import operator
from functools import reduce
from pathlib import Path

import django_filters as df
from django import forms
from django.db.models import Q
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise, cached_property
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData
from django.utils.translation import gettext_lazy


class StyledFormMixin:
    """Give every widget Tabler's classes, so templates can render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        """Style the fields (again: a form that adds fields in its ``__init__`` after this
        mixin's calls it once more; a class given twice is kept once)."""
        for field in self.fields.values():
            read_choices_in_one_query(field)
            w = field.widget
            if isinstance(w, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(w, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(w, forms.RadioSelect | forms.CheckboxSelectMultiple):
                css = ""
            else:
                css = "form-control"
            classes = w.attrs.get("class", "").split()
            if css and css not in classes:
                w.attrs["class"] = " ".join([*classes, css])


class _OneQueryIterator(forms.models.ModelChoiceIterator):
    """Options read by evaluating the queryset once. Django's own iterator reads through
    ``queryset.iterator()``, which on PostgreSQL opens a server-side cursor: three round
    trips (declare, fetch, close) for every dropdown of a page, for a few dozen rows. The
    options are those of the iterator it replaces (django-filter's "none" option first)."""

    def __iter__(self):
        null_label = getattr(self.field, "null_label", None)
        if null_label is not None:
            yield (self.field.null_value, null_label)
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)

    def __len__(self):
        extra = getattr(self.field, "null_label", None) is not None
        return super().__len__() + extra


_REPLACED_ITERATORS = (forms.models.ModelChoiceIterator, df.fields.ModelChoiceIterator)


class _LabelValuesIterator(_OneQueryIterator):
    """Options read as ``(id, label)`` values, for a model whose ``str()`` is one of its
    fields (``choice_label_field``): a dropdown of every school of a city builds no
    model object per option."""

    def __iter__(self):
        null_label = getattr(self.field, "null_label", None)
        if null_label is not None:
            yield (self.field.null_value, null_label)
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        label = self.queryset.model.choice_label_field
        for pk, text in self.queryset.values_list("pk", label):
            yield (forms.models.ModelChoiceIteratorValue(pk, None), text)


def read_choices_in_one_query(field: forms.Field) -> None:
    """Make a model choice field (a form's or a list filter's) read its options with one
    plain query — as plain values when the model names the field its ``str()`` shows
    (``choice_label_field``) and the field labels options as ``str()`` does; a field with
    its own iterator (:class:`NamedModelChoiceField`) keeps it."""
    if not isinstance(field, forms.ModelChoiceField) or field.iterator not in _REPLACED_ITERATORS:
        return
    plain_labels = type(
        field
    ).label_from_instance is forms.ModelChoiceField.label_from_instance and getattr(
        field.queryset.model, "choice_label_field", None
    )
    field.iterator = _LabelValuesIterator if plain_labels else _OneQueryIterator
    field.widget.choices = field.choices


class StyledForm(StyledFormMixin, forms.Form):
    pass


class FilterForm(StyledFormMixin, forms.Form):
    """The form of every list's FilterSet (``class Meta: form = FilterForm``)."""


MIN_YEAR, MAX_YEAR = 1900, 2100
"""The years a filter or an API parameter takes (a date of year 10000 does not exist)."""


def year_filter(label, *, method: str) -> df.NumberFilter:
    """A year in a list's filter: a value out of range (or not a number) is ignored."""
    return df.NumberFilter(label=label, method=method, min_value=MIN_YEAR, max_value=MAX_YEAR)


def fulltext_filter(placeholder, *, then: tuple[str, ...] = ()):
    """The search box of a list whose model is registered with ``core.search``: ``?q=``
    finds the rows matching every word (Chinese full text, simplified or traditional
    alike), best first, then ``then``; the list keeps that order unless a sort is chosen
    (``ListPage.sort_queryset``). Text with no words finds nothing."""

    def run(qs, name, value):
        from . import search

        value = value.strip()
        return search.search(qs, value, then=then) if value else qs

    return df.CharFilter(
        label=gettext_lazy("Search"),
        method=run,
        widget=forms.TextInput(attrs={"placeholder": placeholder, "type": "search"}),
    )


def search_filter(placeholder, *lookups: str):
    """The free-text box of a list's filters: ``?q=`` (stripped, its first 50 characters)
    finds the rows any of ``lookups`` matches, e.g. ``search_filter(_("name or code"),
    "name__icontains", "code__startswith")``."""

    def search(qs, name, value):
        value = value.strip()[:50]
        if not value:
            return qs
        return qs.filter(reduce(operator.or_, (Q(**{lookup: value}) for lookup in lookups)))

    return df.CharFilter(
        label=gettext_lazy("Search"),
        method=search,
        widget=forms.TextInput(attrs={"placeholder": placeholder}),
    )


class VersionedForm(StyledForm):
    """A form that edits a record: carries the version it was loaded at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class _ValuesIterator(forms.models.ModelChoiceIterator):
    """Choices read as ``(id, label)`` pairs: no model object per option."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        label = self.field.label_field
        for pk, text in self.queryset.values_list("pk", label):
            yield (forms.models.ModelChoiceIteratorValue(pk, None), text)


class NamedModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` for long lists (every unit of a city) whose options are the
    rows' ``label_field`` (by default ``name``, what ``str()`` of a unit shows), read as
    plain values. The chosen value is still checked against the queryset and cleaned to
    the full object."""

    iterator = _ValuesIterator

    def __init__(self, *args, label_field: str = "name", **kwargs):
        self.label_field = label_field
        super().__init__(*args, **kwargs)


class NamedModelChoiceFilter(df.ModelChoiceFilter):
    """A list filter over a long list of objects (every school of a city): its options
    are read as ``(id, label_field)`` values (:class:`NamedModelChoiceField`)."""

    field_class = NamedModelChoiceField


# --- rendering ------------------------------------------------------------------------

_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"
_ATTRS = "django/forms/widgets/attrs.html"


class FastSelectRenderer(DjangoTemplates):
    """Django's form renderer, except that ``<select>`` widgets are written in Python.

    Django renders one template per ``<option>`` (about 0.05 ms each): a choice of the
    1,800 units of a city costs 80 ms. This writes the very same HTML directly
    (``tests/core/test_fast_select.py`` compares the two), as long as Django's own select
    templates are the ones in use and every option is a plain one; otherwise it falls
    back to the templates. ``settings.FORM_RENDERER`` names it.
    """

    def render(self, template_name, context, request=None):
        if template_name == _SELECT and self._stock_select:
            html = _select_html(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)

    @cached_property
    def _stock_select(self) -> bool:
        stock = Path(forms.__file__).resolve().parent / "templates"
        try:
            return all(
                Path(self.get_template(name).origin.name).resolve().is_relative_to(stock)
                for name in (_SELECT, _OPTION, _ATTRS)
            )
        except Exception:
            return False


def _text(value) -> str | None:
    """``{{ value }}`` of a text (None when it is not text: the template would localise)."""
    if isinstance(value, str | Promise):
        return conditional_escape(value)
    return None


def _formatted(value) -> str | None:
    """``{{ value|stringformat:'s' }}``."""
    if isinstance(value, tuple):
        return None
    return conditional_escape(value) if isinstance(value, SafeData) else escape("%s" % value)  # noqa: UP031 (as the filter does)


def _attrs_html(attrs) -> str | None:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        shown = _text(name)
        if shown is None:
            return None
        out.append(f" {shown}")
        if value is not True:
            formatted = _formatted(value)
            if formatted is None:
                return None
            out.append(f'="{formatted}"')
    return "".join(out)


def _select_html(widget) -> str | None:
    name, attrs = _text(widget["name"]), _attrs_html(widget["attrs"])
    if name is None or attrs is None:
        return None
    out = [f'<select name="{name}"{attrs}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            label = _text(group_name)
            if label is None:
                return None
            out.append(f'\n  <optgroup label="{label}">')
        for option in group_choices:
            if option.get("template_name") != _OPTION:
                return None
            value = _formatted(option["value"])
            option_attrs = _attrs_html(option["attrs"])
            label = _text(option["label"])
            if value is None or option_attrs is None or label is None:
                return None
            out.append(f'\n  <option value="{value}"{option_attrs}>{label}</option>\n')
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)
