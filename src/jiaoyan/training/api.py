"""API of training: programmes (with their open, close and completion actions, enrolment
and nominations), sessions (with check-in), enrolments, attendance, assignments and
submissions — through the same services as the pages."""

from __future__ import annotations

from ninja import Router
from ninja.responses import Status

from jiaoyan.core.api_crud import Resource

from . import services
from .models import Assignment, Attendance, Enrolment, Programme, Session, Submission
from .schemas import (
    AssignmentFilter,
    AssignmentIn,
    AssignmentOut,
    AttendanceFilter,
    AttendanceOut,
    CompletionOut,
    EnrolmentFilter,
    EnrolmentOut,
    GradeIn,
    NominationIn,
    ProgrammeFilter,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
    SessionIn,
    SessionOut,
    SubmissionFilter,
    SubmissionIn,
    SubmissionOut,
    TrainingCheckinIn,
    WithdrawIn,
)

router = Router(tags=["training"])

IN_PROGRAMME = ("programme", Programme)

programmes = Resource(
    router,
    "/programmes/{programme_id}",
    Programme.objects.select_related("org_unit"),
    out=ProgrammeOut,
)
enrolments = Resource(
    router,
    "/enrolments/{enrolment_id}",
    Enrolment.objects.select_related("programme", "person"),
    out=EnrolmentOut,
)
programmes.list(
    filters=ProgrammeFilter, order=("-created_at", "-id"), summary="Training programmes (研训)"
).get().create(services.create_programme, ProgrammeIn, summary="Create a programme").update(
    services.update_programme, ProgrammePatch, nullable=("capacity", "category")
).action("open", services.open_programme, summary="Open the programme for enrolment").action(
    "enrol", services.enrol, answers=enrolments, summary="Enrol yourself (or join the waitlist)"
)


@router.post(
    "/programmes/{programme_id}/completion",
    response=CompletionOut,
    summary="Compute completion from the rule (on demand)",
    operation_id="compute_programme_completion",
)
def compute_completion(request, programme_id: int):
    p = programmes.for_write(request, programme_id)
    return services.compute_completion(actor=request.auth, programme=p)


@router.post(
    "/programmes/{programme_id}/close",
    response=CompletionOut,
    summary="Close the programme: final completion, hours credited",
    operation_id="close_programme",
)
def close(request, programme_id: int):
    p = programmes.for_write(request, programme_id)
    return services.close_programme(actor=request.auth, programme=p)


@router.post(
    "/programmes/{programme_id}/nominations",
    response={201: EnrolmentOut},
    summary="Nominate a person of your school (within its quota)",
    operation_id="nominate_to_programme",
)
def nominate(request, programme_id: int, data: NominationIn):
    p = programmes.one(request, programme_id)
    e = services.nominate(actor=request.auth, programme=p, person=data.person)
    return Status(201, enrolments.answer(request, e))


enrolments.list(
    filters=EnrolmentFilter, order=("programme_id", "id"), summary="Enrolments"
).get().action("withdraw", services.withdraw, body=WithdrawIn, optional=True)

sessions = Resource(
    router,
    "/training-sessions/{session_id}",
    Session.objects.select_related("programme"),
    out=SessionOut,
    name="training_session",
    arg="session",
)
sessions.list(
    "/programmes/{programme_id}/sessions",
    parent=IN_PROGRAMME,
    order=("starts_at", "id"),
    summary="A programme's sessions",
).get().create(
    services.add_session,
    SessionIn,
    path="/programmes/{programme_id}/sessions",
    parent=IN_PROGRAMME,
    blank=("place", "link"),
    summary="Add a session",
)

attendance = Resource(
    router,
    "/training-attendance/{attendance_id}",
    Attendance.objects.select_related("session", "session__programme"),
    out=AttendanceOut,
    name="training_attendance",
    plural="training_attendance_rows",
)
attendance.list(filters=AttendanceFilter, order=("session_id", "id"), summary="Attendance").get()


@router.post(
    "/training-sessions/{session_id}/checkin",
    response=AttendanceOut,
    summary="Check in to a session with the code on its screen",
    operation_id="check_in_training_session",
)
def check_in(request, session_id: int, data: TrainingCheckinIn):
    session = sessions.one(request, session_id)
    att, _new = services.check_in(actor=request.auth, session=session, code=data.code)
    return attendance.answer(request, att)


assignments = Resource(
    router,
    "/assignments/{assignment_id}",
    Assignment.objects.select_related("programme"),
    out=AssignmentOut,
)
assignments.list(
    filters=AssignmentFilter, order=("programme_id", "deadline", "id"), summary="Assignments"
).get().create(
    services.add_assignment,
    AssignmentIn,
    path="/programmes/{programme_id}/assignments",
    parent=IN_PROGRAMME,
    summary="Add an assignment",
)

submissions = Resource(
    router,
    "/submissions/{submission_id}",
    Submission.objects.select_related("assignment", "assignment__programme"),
    out=SubmissionOut,
)
submissions.list(
    filters=SubmissionFilter, order=("assignment_id", "id"), summary="Submissions"
).get().create(
    services.submit,
    SubmissionIn,
    path="/assignments/{assignment_id}/submissions",
    parent=("assignment", Assignment),
    summary="Hand in (text; files through the page)",
).action("grade", services.grade, body=GradeIn, summary="Score, comment or return")
