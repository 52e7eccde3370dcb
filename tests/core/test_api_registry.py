"""The API is assembled from the routers the apps register in ``AppConfig.ready``: the
OpenAPI document lists exactly the operations below, so a router that is not registered
(or registered twice, or a path that moved) fails here."""

from __future__ import annotations

import pytest
from django.test import Client
from ninja import Router

from jiaoyan.core import api as core_api

OPERATIONS = {
    ("get", "/api/v1/review-rubrics"),
    ("post", "/api/v1/review-rubrics"),
    ("get", "/api/v1/review-rubrics/{rubric_id}"),
    ("patch", "/api/v1/review-rubrics/{rubric_id}"),
    ("get", "/api/v1/resources"),
    ("post", "/api/v1/resources"),
    ("get", "/api/v1/resources/{resource_id}"),
    ("patch", "/api/v1/resources/{resource_id}"),
    ("delete", "/api/v1/resources/{resource_id}"),
    ("post", "/api/v1/resources/{resource_id}/submit"),
    ("post", "/api/v1/resources/{resource_id}/decide"),
    ("post", "/api/v1/resources/{resource_id}/reviewers"),
    ("get", "/api/v1/resources/{resource_id}/files"),
    ("post", "/api/v1/resources/{resource_id}/files"),
    ("get", "/api/v1/resource-files/{file_id}"),
    ("delete", "/api/v1/resource-files/{file_id}"),
    ("get", "/api/v1/resource-files/{file_id}/download"),
    ("get", "/api/v1/resource-favourites"),
    ("post", "/api/v1/resources/{resource_id}/favourites"),
    ("delete", "/api/v1/resource-favourites/{favourite_id}"),
    ("get", "/api/v1/resources/{resource_id}/ratings"),
    ("post", "/api/v1/resources/{resource_id}/ratings"),
    ("delete", "/api/v1/resource-ratings/{rating_id}"),
    ("get", "/api/v1/resources/{resource_id}/comments"),
    ("post", "/api/v1/resources/{resource_id}/comments"),
    ("delete", "/api/v1/resource-comments/{comment_id}"),
    ("get", "/api/v1/resources/{resource_id}/applications"),
    ("post", "/api/v1/resources/{resource_id}/applications"),
    ("delete", "/api/v1/resource-applications/{application_id}"),
    ("get", "/api/v1/reviews"),
    ("get", "/api/v1/reviews/{review_id}"),
    ("delete", "/api/v1/reviews/{review_id}"),
    ("post", "/api/v1/reviews/{review_id}/scores"),
    ("get", "/api/v1/recommendation-rounds"),
    ("post", "/api/v1/recommendation-rounds"),
    ("get", "/api/v1/recommendation-rounds/{round_id}"),
    ("patch", "/api/v1/recommendation-rounds/{round_id}"),
    ("post", "/api/v1/recommendation-rounds/{round_id}/quota"),
    ("post", "/api/v1/recommendation-rounds/{round_id}/recommend"),
    ("post", "/api/v1/recommendation-rounds/{round_id}/announce"),
    ("get", "/api/v1/recommendations"),
    ("get", "/api/v1/recommendations/{recommendation_id}"),
    ("post", "/api/v1/recommendations/{recommendation_id}/withdraw"),
    ("get", "/api/v1/activities"),
    ("post", "/api/v1/activities"),
    ("get", "/api/v1/activities/{activity_id}"),
    ("patch", "/api/v1/activities/{activity_id}"),
    ("post", "/api/v1/activities/{activity_id}/attendance"),
    ("post", "/api/v1/activities/{activity_id}/cancel"),
    ("post", "/api/v1/activities/{activity_id}/check-in"),
    ("get", "/api/v1/activities/{activity_id}/decisions"),
    ("post", "/api/v1/activities/{activity_id}/decline"),
    ("get", "/api/v1/activities/{activity_id}/feedback"),
    ("post", "/api/v1/activities/{activity_id}/feedback"),
    ("post", "/api/v1/activities/{activity_id}/finish"),
    ("post", "/api/v1/activities/{activity_id}/invitations"),
    ("get", "/api/v1/activities/{activity_id}/materials"),
    ("post", "/api/v1/activities/{activity_id}/publish"),
    ("post", "/api/v1/activities/{activity_id}/registration"),
    ("post", "/api/v1/activities/{activity_id}/start"),
    ("get", "/api/v1/activities/{activity_id}/venues"),
    ("post", "/api/v1/activities/{activity_id}/venues"),
    ("get", "/api/v1/communities"),
    ("post", "/api/v1/communities"),
    ("get", "/api/v1/communities/assessment"),
    ("get", "/api/v1/communities/coverage"),
    ("get", "/api/v1/communities/{community_id}"),
    ("patch", "/api/v1/communities/{community_id}"),
    ("post", "/api/v1/communities/{community_id}/members"),
    ("get", "/api/v1/communities/{community_id}/tasks"),
    ("post", "/api/v1/communities/{community_id}/tasks"),
    ("post", "/api/v1/communities/{community_id}/tasks/generate"),
    ("get", "/api/v1/memberships"),
    ("post", "/api/v1/memberships/{membership_id}/leave"),
    ("post", "/api/v1/tasks/{task_id}/evidence"),
    ("get", "/api/v1/balance"),
    ("post", "/api/v1/balance/inputs"),
    ("get", "/api/v1/decisions/{decision_id}"),
    ("get", "/api/v1/exams"),
    ("post", "/api/v1/exams"),
    ("get", "/api/v1/exams/{exam_id}"),
    ("get", "/api/v1/exams/{exam_id}/analysis"),
    ("get", "/api/v1/exams/{exam_id}/balance"),
    ("get", "/api/v1/exams/{exam_id}/items"),
    ("post", "/api/v1/exams/{exam_id}/items"),
    ("post", "/api/v1/exams/{exam_id}/scores"),
    ("get", "/api/v1/exams/{exam_id}/students"),
    ("get", "/api/v1/hours"),
    ("get", "/api/v1/hours/{record_id}"),
    ("get", "/api/v1/hours-categories"),
    ("post", "/api/v1/hours-categories"),
    ("get", "/api/v1/hours-categories/{category_id}"),
    ("get", "/api/v1/hours-cycle"),
    ("get", "/api/v1/hours-cycles"),
    ("get", "/api/v1/hours-cycles/{cycle_id}"),
    ("get", "/api/v1/hours-declarations"),
    ("post", "/api/v1/hours-declarations"),
    ("get", "/api/v1/hours-declarations/{declaration_id}"),
    ("post", "/api/v1/hours-declarations/{declaration_id}/approve"),
    ("post", "/api/v1/hours-declarations/{declaration_id}/reject"),
    ("post", "/api/v1/hours-declarations/{declaration_id}/withdraw"),
    ("get", "/api/v1/certificates"),
    ("get", "/api/v1/certificates/{certificate_id}"),
    ("get", "/api/v1/certificates/{certificate_id}/pdf"),
    ("get", "/api/v1/certificates/verify/{code}"),
    ("get", "/api/v1/import-jobs/{job_id}"),
    ("post", "/api/v1/imports/{kind}"),
    ("get", "/api/v1/ledger/items"),
    ("post", "/api/v1/ledger/items"),
    ("get", "/api/v1/metrics"),
    ("get", "/api/v1/ledger/items/{item_id}"),
    ("patch", "/api/v1/ledger/items/{item_id}"),
    ("post", "/api/v1/ledger/items/{item_id}/cancel"),
    ("post", "/api/v1/ledger/items/{item_id}/escalate"),
    ("get", "/api/v1/ledger/items/{item_id}/progress"),
    ("post", "/api/v1/ledger/items/{item_id}/progress"),
    ("post", "/api/v1/ledger/items/{item_id}/send-back"),
    ("post", "/api/v1/ledger/items/{item_id}/verify"),
    ("get", "/api/v1/ledger/supervisions"),
    ("get", "/api/v1/ledger/supervisions/{supervision_id}"),
    ("post", "/api/v1/ledger/supervisions/{supervision_id}/close"),
    ("get", "/api/v1/liaison-assignments"),
    ("post", "/api/v1/liaison-assignments"),
    ("get", "/api/v1/liaison-assignments/{assignment_id}"),
    ("post", "/api/v1/liaison-assignments/{assignment_id}/end"),
    ("get", "/api/v1/materials/{material_id}"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/observation-rounds"),
    ("post", "/api/v1/observation-rounds"),
    ("get", "/api/v1/observation-rounds/{round_id}"),
    ("get", "/api/v1/observation-rubrics"),
    ("post", "/api/v1/observation-rubrics"),
    ("get", "/api/v1/observation-rubrics/{rubric_id}"),
    ("put", "/api/v1/observation-rubrics/{rubric_id}"),
    ("get", "/api/v1/observation-rubrics/{rubric_id}/versions/{number}"),
    ("post", "/api/v1/observation-st-analysis"),
    ("get", "/api/v1/observations"),
    ("post", "/api/v1/observations"),
    ("delete", "/api/v1/observations/{observation_id}"),
    ("get", "/api/v1/observations/{observation_id}"),
    ("patch", "/api/v1/observations/{observation_id}"),
    ("post", "/api/v1/observations/{observation_id}/activity"),
    ("post", "/api/v1/observations/{observation_id}/correction"),
    ("post", "/api/v1/observations/{observation_id}/replies"),
    ("post", "/api/v1/observations/{observation_id}/submit"),
    ("get", "/api/v1/org-units"),
    ("post", "/api/v1/org-units"),
    ("get", "/api/v1/org-units/{unit_id}"),
    ("patch", "/api/v1/org-units/{unit_id}"),
    ("get", "/api/v1/participations"),
    ("get", "/api/v1/participations/{participation_id}"),
    ("get", "/api/v1/people"),
    ("post", "/api/v1/people"),
    ("get", "/api/v1/people/{person_id}"),
    ("patch", "/api/v1/people/{person_id}"),
    ("post", "/api/v1/people/{person_id}/status"),
    ("get", "/api/v1/plans"),
    ("post", "/api/v1/plans"),
    # researchers (教研员)
    ("get", "/api/v1/researchers"),
    ("post", "/api/v1/researchers"),
    ("get", "/api/v1/researchers/{profile_id}"),
    ("patch", "/api/v1/researchers/{profile_id}"),
    ("post", "/api/v1/researchers/{profile_id}/exit"),
    ("post", "/api/v1/researchers/{profile_id}/exchange"),
    ("put", "/api/v1/researchers/{profile_id}/duties"),
    ("post", "/api/v1/researchers/{profile_id}/liaison-schools"),
    ("get", "/api/v1/researchers/{profile_id}/work-record"),
    ("post", "/api/v1/researchers/{profile_id}/residencies"),
    ("get", "/api/v1/residencies"),
    ("get", "/api/v1/residencies/{residency_id}"),
    ("patch", "/api/v1/residencies/{residency_id}"),
    ("post", "/api/v1/residencies/{residency_id}/summary"),
    ("get", "/api/v1/residencies/{residency_id}/visits"),
    ("post", "/api/v1/residencies/{residency_id}/visits"),
    ("get", "/api/v1/residency-visits/{visit_id}"),
    ("delete", "/api/v1/residency-visits/{visit_id}"),
    # training (研训)
    ("get", "/api/v1/programmes"),
    ("post", "/api/v1/programmes"),
    ("get", "/api/v1/programmes/{programme_id}"),
    ("patch", "/api/v1/programmes/{programme_id}"),
    ("post", "/api/v1/programmes/{programme_id}/open"),
    ("post", "/api/v1/programmes/{programme_id}/enrol"),
    ("post", "/api/v1/programmes/{programme_id}/completion"),
    ("post", "/api/v1/programmes/{programme_id}/close"),
    ("post", "/api/v1/programmes/{programme_id}/nominations"),
    ("get", "/api/v1/enrolments"),
    ("get", "/api/v1/enrolments/{enrolment_id}"),
    ("post", "/api/v1/enrolments/{enrolment_id}/withdraw"),
    ("get", "/api/v1/programmes/{programme_id}/sessions"),
    ("post", "/api/v1/programmes/{programme_id}/sessions"),
    ("get", "/api/v1/training-sessions/{session_id}"),
    ("get", "/api/v1/training-attendance"),
    ("get", "/api/v1/training-attendance/{attendance_id}"),
    ("post", "/api/v1/training-sessions/{session_id}/checkin"),
    ("get", "/api/v1/assignments"),
    ("get", "/api/v1/assignments/{assignment_id}"),
    ("post", "/api/v1/programmes/{programme_id}/assignments"),
    ("get", "/api/v1/submissions"),
    ("get", "/api/v1/submissions/{submission_id}"),
    ("post", "/api/v1/assignments/{assignment_id}/submissions"),
    ("post", "/api/v1/submissions/{submission_id}/grade"),
    ("get", "/api/v1/pairings"),
    ("post", "/api/v1/pairings"),
    ("get", "/api/v1/pairings/{pairing_id}"),
    ("get", "/api/v1/pairings/{pairing_id}/figures"),
    ("post", "/api/v1/pairings/{pairing_id}/funds"),
    ("post", "/api/v1/pairings/{pairing_id}/people-sent"),
    ("get", "/api/v1/pairing-funds"),
    ("get", "/api/v1/pairing-funds/{fund_id}"),
    ("get", "/api/v1/pairing-people"),
    ("get", "/api/v1/pairing-people/{row_id}"),
    ("patch", "/api/v1/pairing-people/{row_id}"),
    ("delete", "/api/v1/pairing-people/{row_id}"),
    ("patch", "/api/v1/pairing-funds/{fund_id}"),
    ("delete", "/api/v1/pairing-funds/{fund_id}"),
    ("get", "/api/v1/pairing-reports"),
    ("get", "/api/v1/pairing-reports/{report_id}"),
    ("patch", "/api/v1/pairing-reports/{report_id}"),
    ("delete", "/api/v1/pairing-reports/{report_id}"),
    ("get", "/api/v1/pairing-reports/{report_id}/file"),
    ("post", "/api/v1/pairings/{pairing_id}/reports"),
    ("get", "/api/v1/pairing-activities"),
    ("get", "/api/v1/pairing-activities/{link_id}"),
    ("delete", "/api/v1/pairing-activities/{link_id}"),
    ("post", "/api/v1/pairings/{pairing_id}/activities"),
    ("get", "/api/v1/pairings/{pairing_id}/agreement"),
    ("post", "/api/v1/pairings/{pairing_id}/agreement"),
    ("get", "/api/v1/tasks/{task_id}"),
    ("patch", "/api/v1/tasks/{task_id}"),
    ("delete", "/api/v1/tasks/{task_id}"),
    ("get", "/api/v1/communities/{community_id}/files"),
    ("post", "/api/v1/communities/{community_id}/files"),
    ("get", "/api/v1/community-files/{file_id}"),
    ("delete", "/api/v1/community-files/{file_id}"),
    ("get", "/api/v1/community-files/{file_id}/download"),
    ("get", "/api/v1/plans/{plan_id}"),
    ("patch", "/api/v1/plans/{plan_id}"),
    ("post", "/api/v1/plans/{plan_id}/publish"),
    ("get", "/api/v1/plans/{plan_id}/themes"),
    ("post", "/api/v1/plans/{plan_id}/themes"),
    ("get", "/api/v1/schools"),
    ("post", "/api/v1/schools"),
    ("get", "/api/v1/schools/{school_id}"),
    ("patch", "/api/v1/schools/{school_id}"),
    ("delete", "/api/v1/themes/{theme_id}"),
    ("get", "/api/v1/themes/{theme_id}"),
    ("patch", "/api/v1/themes/{theme_id}"),
    ("get", "/api/v1/value-added"),
    ("post", "/api/v1/value-added"),
    ("delete", "/api/v1/venues/{venue_id}"),
    ("get", "/api/v1/venues/{venue_id}"),
    ("patch", "/api/v1/venues/{venue_id}"),
}

APP_ROUTERS = [
    "jiaoyan.core.api.router",
    "jiaoyan.core.api.imports_router",
    "jiaoyan.core.api_metrics.router",
    "jiaoyan.orgs.api.router",
    "jiaoyan.people.api.router",
    "jiaoyan.hours.api.router",
    "jiaoyan.activities.api.router",
    "jiaoyan.quality.api.router",
    "jiaoyan.observations.api.router",
    "jiaoyan.ledger.api.router",
    "jiaoyan.pairing.api.router",
    "jiaoyan.communities.api.router",
    "jiaoyan.training.api.router",
    "jiaoyan.resources.api.router",
    "jiaoyan.resources.api_rounds.router",
    "jiaoyan.resources.api_use.router",
    "jiaoyan.researchers.api.router",
]


def _operations(schema: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in schema["paths"].items() for method in ops}


def test_openapi_lists_every_registered_operation(db):
    resp = Client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    found = _operations(resp.json())
    assert found - OPERATIONS == set(), "operations not in the fixed list"
    assert OPERATIONS - found == set(), "operations missing: is every router registered?"


def test_every_app_registers_its_router_in_ready():
    registered = [router for prefix, router in core_api.registered_routers()]
    assert registered == APP_ROUTERS
    assert all(prefix == "" for prefix, _router in core_api.registered_routers())


def test_no_router_after_the_api_is_assembled(db):
    core_api.get_api()
    with pytest.raises(RuntimeError):
        core_api.register_router(Router())
    assert len(core_api.registered_routers()) == len(APP_ROUTERS)


def test_core_api_imports_no_app():
    """core/api.py mounts routers by name: at import time it imports no app module (the
    old import cycle with orgs and people)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(core_api.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:  # module level only
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    apps = ("orgs", "people", "hours", "activities", "quality", "observations", "ledger")
    assert not [m for m in imported if m.startswith(tuple(f"jiaoyan.{a}" for a in apps))]


def test_every_app_declares_its_parts_through_module_config():
    """An ``apps.py`` that imported the ModuleConfig class itself would hold two AppConfig
    classes, and Django would quietly use a bare AppConfig: nothing registered."""
    from django.apps import apps

    from jiaoyan.core.apps import ModuleConfig

    ours = [c for c in apps.get_app_configs() if c.name.startswith("jiaoyan.")]
    assert len(ours) >= 8
    assert [c.name for c in ours if not isinstance(c, ModuleConfig)] == []
