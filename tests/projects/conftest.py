"""Research project fixtures: a city call of 渭南市教育局 (the city admin runs it), an
application of 临渭区第一初级中学 led by its math teacher, and two experts of the city's
research office, in the test world of tests/conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.projects import services
from jiaoyan.projects.models import Project, ProjectCall
from tests.conftest import make_person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = dt.date(2025, 3, 10)


def pdf(name: str = "申报书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF)


def make_call(w, *, quota=2, status="open", **kwargs) -> ProjectCall:
    data = {
        "org_unit": w.units["city_bureau"].pk,
        "title": "2025年渭南市基础教育课题指南",
        "level": "city",
        "year": 2025,
        "topics": "双减背景下的作业设计\n大单元教学",
        "opens_on": dt.date(2025, 3, 1),
        "closes_on": dt.date(2025, 3, 31),
        "default_quota": quota,
    }
    data.update(kwargs)
    call = services.create_call(actor=w.users["city_admin"], **data)
    if status == "open":
        call = services.set_call_status(actor=w.users["city_admin"], call=call, status="open")
    return call


def apply(w, call=None, *, actor="teacher", title="初中数学作业分层设计研究", **kwargs) -> Project:
    data = {
        "title": title,
        "call": call.pk if call is not None else None,
        "theme": "作业设计",
        "opening_due": dt.date(2025, 6, 30),
        "midterm_due": dt.date(2026, 1, 15),
        "conclusion_due": dt.date(2026, 12, 31),
        "application_form": pdf(),
    }
    data.update(kwargs)
    return services.apply(actor=w.users[actor], **data)


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2025, 3, 10, 10, 0), tick=False):
        yield TODAY


@pytest.fixture
def experts(world):
    inst = world.units["city_institute"]
    a = make_person(
        "E001", "郑专家", inst, role="researcher", username="expert_a", phone="13900000011"
    )
    b = make_person(
        "E002", "孙专家", inst, role="researcher", username="expert_b", phone="13900000012"
    )
    return a, b


@pytest.fixture
def call(world, today):
    return make_call(world)


def approve(w, project, experts, *, score=88) -> Project:
    admin = w.users["city_admin"]
    reviews = services.assign_experts(actor=admin, project=project, experts=[e.pk for e in experts])
    for r in reviews:
        services.submit_review(
            actor=r.expert.user, review=r, score=score, verdict="approve", opinion="选题有价值"
        )
    return services.decide(actor=admin, projects=[project.pk], decision="approve")[0]
