"""core.pages for views that show a service's refusal their own way: ``attempt`` hands
the refusal back, ``denied_on_form`` shows a permission refusal on the form."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.pages import FAILED, attempt, denied_on_form, refusal_text, run_service


def _refuse(error):
    def perform(*_args):
        raise error

    return perform


class _Form(forms.Form):
    name = forms.CharField()


def test_attempt_returns_the_result_or_the_refusal():
    assert attempt(lambda: 5) == (5, None)
    result, error = attempt(_refuse(ServiceError("名称已存在", field="name")))
    assert result is FAILED and error.field == "name" and refusal_text(error) == "名称已存在"


def test_attempt_lets_a_permission_refusal_through_unless_asked():
    with pytest.raises(PermissionDenied):
        attempt(_refuse(PermissionDenied("不可")))
    result, error = attempt(_refuse(PermissionDenied("不可")), denied=True)
    assert result is FAILED and refusal_text(error) == "不可"


def test_denied_on_form_puts_the_permission_refusal_at_the_forms_top():
    form = _Form({"name": "甲"})
    assert run_service(form, denied_on_form(_refuse(PermissionDenied("您无权")))) is FAILED
    assert form.non_field_errors() == ["您无权"]
    ok = _Form({"name": "乙"})
    assert run_service(ok, denied_on_form(lambda d: d["name"])) == "乙"
