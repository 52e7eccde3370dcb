"""A scheme's life after the first draft: an indicator is edited or removed while no
appraisal holds a result for it (refused in Chinese otherwise); an open scheme is closed
— no more self-assessments, reviews or confirmations — and its page says so."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import can
from jiaoyan.researchers import services_appraisal
from jiaoyan.researchers.models import Appraisal, AppraisalIndicator, AppraisalScheme
from tests.researchers.test_appraisal import _assessed, _open, _review, _scheme

pytestmark = pytest.mark.django_db


def _ind(scheme, code) -> AppraisalIndicator:
    return scheme.indicators.get(code=code)


def test_a_draft_indicator_is_edited_and_removed(world, profile):
    admin = world.users["city_admin"]
    scheme = _scheme(world)
    guidance = _ind(scheme, "guidance")
    services_appraisal.save_indicator(
        actor=admin,
        scheme=scheme,
        indicator=guidance,
        name="教学指导与示范",
        kind="scored",
        max_score=30,
    )
    guidance.refresh_from_db()
    assert (guidance.name, guidance.max_score, guidance.code) == ("教学指导与示范", 30, "guidance")
    services_appraisal.delete_indicator(actor=admin, indicator=_ind(scheme, "organised"))
    assert list(scheme.indicators.values_list("code", flat=True)) == [
        "observed",
        "liaison",
        "ledger",
        "guidance",
        "research",
    ]
    # 20 + 15 + 15 + 30 + 20 = 100: it opens.
    assert services_appraisal.open_scheme(actor=admin, scheme=scheme) == 1


def test_an_indicator_with_results_is_not_changed(world, profile):
    admin = world.users["city_admin"]
    scheme = _open(world)
    _assessed(world, Appraisal.objects.get(scheme=scheme))
    observed = _ind(scheme, "observed")
    with pytest.raises(ServiceError) as e:
        services_appraisal.save_indicator(
            actor=admin,
            scheme=scheme,
            indicator=observed,
            name="听课",
            kind="computed",
            measure="observed",
            target=10,
            max_score=20,
        )
    assert e.value.text == "“听评课节数”已有考核结果，不能再修改。"
    with pytest.raises(ServiceError) as e:
        services_appraisal.delete_indicator(actor=admin, indicator=observed)
    assert e.value.text == "“听评课节数”已有考核结果，不能再修改。"
    observed.refresh_from_db()
    assert (observed.name, observed.target) == ("听评课节数", 40)


def test_an_open_scheme_without_results_keeps_its_indicators(world, profile):
    scheme = _open(world)
    with pytest.raises(ServiceError) as e:
        services_appraisal.delete_indicator(
            actor=world.users["city_admin"], indicator=_ind(scheme, "research")
        )
    assert e.value.text == "方案已启动，指标不能再改。"
    assert scheme.indicators.count() == 6


def test_another_district_neither_edits_nor_removes(world, profile):
    scheme = _scheme(world)
    with pytest.raises(PermissionDenied):
        services_appraisal.delete_indicator(
            actor=world.users["outsider"], indicator=_ind(scheme, "research")
        )
    assert scheme.indicators.count() == 6


def test_a_closed_scheme_takes_no_more_steps(world, profile, client_for):
    admin = world.users["city_admin"]
    scheme = _open(world)
    appraisal = _assessed(world, Appraisal.objects.get(scheme=scheme))
    _review(world, appraisal)
    assert not can(world.users["outsider"], "close", scheme)
    with pytest.raises(PermissionDenied):
        services_appraisal.close_scheme(actor=world.users["outsider"], scheme=scheme)

    page = client_for(admin)
    r = page.post(f"/researchers/appraisal/schemes/{scheme.pk}/close/")
    assert r.status_code == 302
    scheme.refresh_from_db()
    assert scheme.status == AppraisalScheme.Status.CLOSED
    assert not can(admin, "close", scheme)

    with pytest.raises(ServiceError) as e:
        services_appraisal.confirm_appraisal(actor=admin, appraisal=appraisal)
    assert e.value.text == "考核方案未在进行中。"
    with pytest.raises(ServiceError):
        _assessed(world, appraisal)
    with pytest.raises(ServiceError) as e:
        services_appraisal.close_scheme(actor=admin, scheme=scheme)
    assert e.value.text == "只有进行中的考核方案可以结束。"
    appraisal.refresh_from_db()
    assert appraisal.status == Appraisal.Status.REVIEWED

    body = page.get(f"/researchers/appraisal/schemes/{scheme.pk}/").content.decode()
    assert 'data-testid="scheme-closed"' in body
    assert 'data-testid="close-scheme"' not in body
    body = page.get(f"/researchers/appraisal/{appraisal.pk}/").content.decode()
    assert 'data-testid="scheme-closed"' in body
    assert 'data-testid="confirm"' not in body
    assert 'data-testid="review-form"' not in body
    assert page.get(f"/researchers/appraisal/schemes/{scheme.pk}/close/").status_code == 405


def test_indicator_pages(world, profile, client_for):
    scheme = _scheme(world)
    page = client_for(world.users["city_admin"])
    body = page.get(f"/researchers/appraisal/schemes/{scheme.pk}/").content.decode()
    assert body.count('data-testid="indicator-edit-form"') == 6
    research = _ind(scheme, "research")
    r = page.post(
        f"/researchers/appraisal/schemes/{scheme.pk}/indicators/{research.pk}/",
        {
            f"i{research.pk}-name": "教研成果",
            f"i{research.pk}-kind": "scored",
            f"i{research.pk}-max_score": "20",
        },
    )
    assert r.status_code == 302
    research.refresh_from_db()
    assert research.name == "教研成果"
    r = page.post(f"/researchers/appraisal/schemes/{scheme.pk}/indicators/{research.pk}/delete/")
    assert r.status_code == 302
    assert not scheme.indicators.filter(pk=research.pk).exists()
    outsider = client_for(world.users["outsider"])
    guidance = _ind(scheme, "guidance")
    r = outsider.post(
        f"/researchers/appraisal/schemes/{scheme.pk}/indicators/{guidance.pk}/delete/"
    )
    assert r.status_code == 404
    assert scheme.indicators.filter(pk=guidance.pk).exists()
