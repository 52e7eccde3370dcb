"""The follow-up world: the screening world, plus a class teacher of 七年级1班 at
临渭区第一初级中学 (孟老师, a teacher with a class teacher assignment), a district
counsellor of 临渭区 holding the wellbeing permission on the district, and a campaign in
which 林小雨 (A0701) answered PHQ-9 item 9 above 0 (one open crisis alert)."""

from __future__ import annotations

from jiaoyan.people import services as people_services
from jiaoyan.wellbeing import services
from jiaoyan.wellbeing.models import Alert
from tests.conftest import make_person
from tests.wellbeing.helpers import permit, screening_world, window

CRISIS = [0, 0, 0, 0, 0, 0, 0, 0, 1]


def followup_world(w, *, with_alert: bool = True):
    screening_world(w)
    a = w.schools["school_a"].org_unit
    ct = make_person(
        "T004", "孟老师", a, role="teacher", username="class_teacher", phone="13900000021"
    )
    w.users["class_teacher"] = ct.user
    w.people["class_teacher"] = ct
    people_services.assign_homeroom(actor=w.principal, person=ct, grade=7, class_name="1班")
    dc = make_person(
        "R201",
        "孙老师",
        w.units["linwei_institute"],
        role="counsellor",
        scope=w.units["linwei"],
        username="district_counsellor",
        phone="13900000022",
    )
    w.users["district_counsellor"] = dc.user
    permit(dc.user, w.units["linwei"])
    if not with_alert:
        return w
    start, end = window()
    c = services.create_campaign(
        actor=w.counsellor,
        org_unit=a,
        name="七年级筛查",
        scales=["phq9"],
        schools=[a],
        starts_at=start,
        ends_at=end,
    )
    services.open_campaign(actor=w.counsellor, campaign=c)
    p = c.participations.get(student__key="A0701")
    services.enter_paper_answers(actor=w.counsellor, participation=p, answers={"phq9": CRISIS})
    w.campaign = c
    w.alert = Alert.objects.get(participation=p)
    return w
