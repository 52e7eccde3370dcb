"""The student's answering over the API, as the answering pages do it (no account): the
one-time code (or the class code and the student number) opens the questionnaire — every
attempt counted against the address's limit, shared with the page — and answers a signed
token the client sends back (``X-Answer-Token``) with each answer, saved at once
(resumable: the code opens it again where it stopped). Handing in answers a neutral
thank-you and the bureau's help-line text, never a score, a level or a scale."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja.errors import HttpError

from jiaoyan.core.middleware import client_ip

from . import services
from .models import Participation

router = Router(tags=["wellbeing answering"])
TOKEN = Header(..., alias="X-Answer-Token", description="the token the start answered")


class AnswerStartIn(Schema):
    code: str = Field("", max_length=20, description="the student's one-time code")
    class_code: str = Field("", max_length=20, description="or the class code …")
    key: str = Field("", max_length=40, description="… and the student number")


class AnswerIn(Schema):
    step: int = Field(..., ge=0, description="the screen answered (0-based)")
    answer: int = Field(..., description="the option chosen (0-based)")


class AnswerOptionOut(Schema):
    value: int
    label: str


class AnswerQuestionOut(Schema):
    step: int
    number: int
    total: int
    instructions: str
    text: str
    options: list[AnswerOptionOut]
    current: int | None


class AnswerSessionOut(Schema):
    token: str
    campaign: str
    total: int
    answered: int
    ready_to_hand_in: bool
    question: AnswerQuestionOut | None = Field(
        None, description="the question to show (null: every one is answered, hand in next)"
    )


class AnswerDoneOut(Schema):
    message: str
    help_text: str = Field(description="the campaign's help-line text (may be empty)")
    support: str


def _question(p: Participation, step: int | None = None) -> dict | None:
    shown = services.screen(p, step)
    if shown is None:
        return None
    return {
        "step": shown.step,
        "number": shown.step + 1,
        "total": shown.total,
        "instructions": shown.scale.instructions,
        "text": shown.item_text,
        "options": [{"value": i, "label": o.label} for i, o in enumerate(shown.scale.options)],
        "current": shown.current,
    }


def _session(p: Participation, token: str, step: int | None = None) -> dict:
    answered = services.next_step(p)
    total = len(services.steps(p.campaign))
    return {
        "token": token,
        "campaign": p.campaign.name,
        "total": total,
        "answered": answered,
        "ready_to_hand_in": answered >= total,
        "question": _question(p, step),
    }


def _answering(token: str) -> Participation:
    """The questionnaire the token names, while it may be answered: a closed campaign is a
    403 (as the page's), a handed-in or opted-out questionnaire a 400."""
    p = services.find_by_token(token)
    try:
        services.check_answerable(p)
    except services.Closed as e:
        raise PermissionDenied(e.text) from None
    return p


@router.post(
    "/wellbeing/answering",
    auth=None,
    response=AnswerSessionOut,
    summary="Open (or resume) a questionnaire with the one-time code, or the class code and "
    "the student number (no account; attempts are limited per address)",
    operation_id="start_wellbeing_answering",
)
def start(request, body: AnswerStartIn):
    if not services.may_try_code(client_ip(request)):
        raise HttpError(429, _("Too many attempts from your address; try again in a minute."))
    try:
        p = services.find_for_answering(**body.dict())
    except services.Closed as e:
        raise PermissionDenied(e.text) from None
    return _session(p, services.answer_token(p))


@router.get(
    "/wellbeing/answering",
    auth=None,
    response=AnswerSessionOut,
    summary="Where the questionnaire stands, with one question: the first unanswered, or "
    "an earlier one (?step=) to look it over — never one beyond the first unanswered",
    operation_id="get_wellbeing_answering",
)
def state(request, step: int | None = Query(None, ge=0), token: str = TOKEN):
    return _session(_answering(token), token, step)


@router.post(
    "/wellbeing/answering/answers",
    auth=None,
    response=AnswerSessionOut,
    summary="Save one answer at once (resumable); answers the next unanswered question",
    operation_id="answer_wellbeing_question",
)
def answer(request, body: AnswerIn, token: str = TOKEN):
    p = _answering(token)
    p = services.save_answer(participation_id=p.pk, step=body.step, value=body.answer)
    return _session(p, token)


@router.post(
    "/wellbeing/answering/hand-in",
    auth=None,
    response=AnswerDoneOut,
    summary="Hand the questionnaire in (once): a thank-you and the help-line text, no score",
    operation_id="hand_in_wellbeing_answers",
)
def hand_in(request, token: str = TOKEN):
    p = _answering(token)
    p = services.hand_in(participation_id=p.pk)
    return {
        "message": _("Thank you. Your answers have been received."),
        "help_text": p.campaign.help_text,
        "support": _(
            "If you would like to talk to someone, your school's counsellor is there for you."
        ),
    }
