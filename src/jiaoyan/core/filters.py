"""Filters of core's own lists (the audit log, notifications), as every app declares them:
a django-filter ``FilterSet`` that a :class:`~jiaoyan.core.pages.ListPage` applies."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _lazy

from .forms import FilterForm
from .models import AuditLog, Notification


class AuditFilter(df.FilterSet):
    action = df.ChoiceFilter(
        label=_lazy("Action"), choices=AuditLog.Action.choices, empty_label=_lazy("All actions")
    )
    q = df.CharFilter(label=_lazy("Object or person"), method="search", max_length=50)
    since = df.DateFilter(
        label=_lazy("From"),
        field_name="timestamp",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = df.DateFilter(
        label=_lazy("To"),
        field_name="timestamp",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditLog
        fields: list[str] = []
        form = FilterForm

    def search(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(Q(object_repr__icontains=value) | Q(actor_name__icontains=value))


class NotificationFilter(df.FilterSet):
    # ``?unread=1`` (any value) shows the unread ones only.
    unread = df.CharFilter(method="only_unread", widget=forms.HiddenInput)

    class Meta:
        model = Notification
        fields: list[str] = []
        form = FilterForm

    def only_unread(self, qs, name, value):
        return qs.filter(read_at__isnull=True) if value else qs
