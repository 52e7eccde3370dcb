"""The phone flow in a real browser: a principal records a drop-in observation with S-T
taps on a phone-sized screen and submits it; the teacher reads it and replies; the
school's coverage counts it."""

import re

import pytest
from playwright.sync_api import expect

from jiaoyan.observations.models import Observation


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_drop_in_on_a_phone(world, phone_page, live_server, login):
    pg = phone_page
    errors = []  # script errors and CSP violations; failed loads other than the favicon
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    pg.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    pg.clock.install()
    login(pg, "principal")

    # The principal has one school: the form opens directly.
    pg.goto(f"{live_server.url}/observations/new/")
    pg.select_option("#id_teacher", label="张老师")
    # The teacher's subject and stage are filled in from their role.
    expect(pg.locator("#id_subject option:checked")).to_have_text("数学")
    expect(pg.locator("#id_stage option:checked")).to_have_text("初中")
    expect(pg.locator("#id_kind option:checked")).to_have_text("推门听课")
    pg.fill("#id_topic", "一元二次方程的解法")
    pg.fill("#id_period", "3")
    pg.click("[data-testid=create-draft]")
    pg.wait_for_url(re.compile(r"/observations/\d+/edit/$"))

    # S-T: with the timer stopped every tap is a sample …
    box = pg.locator("[data-st-sequence]")
    t, s = pg.locator("[data-testid=st-tap-t]"), pg.locator("[data-testid=st-tap-s]")
    t.tap()
    t.tap()
    s.tap()
    expect(box).to_have_value("TTS")
    # … with it running, a tap sets the current behaviour, sampled every 30 s.
    pg.locator("[data-testid=st-start]").tap()
    s.tap()
    pg.clock.run_for(61_000)
    expect(box).to_have_value("TTSSS")
    t.tap()
    pg.clock.run_for(30_000)
    pg.locator("[data-testid=st-start]").tap()
    expect(box).to_have_value("TTSSST")
    expect(pg.locator("[data-st-count]")).to_have_text("6")
    pg.locator("[data-testid=st-undo]").tap()
    pg.locator("[data-testid=st-tap-t]").tap()
    expect(box).to_have_value("TTSSST")

    # Scores: 80 % of every criterion; the page adds up the total as it goes.
    inputs = pg.locator("[data-testid=score-input]")
    assert inputs.count() == 14
    for i in range(inputs.count()):
        field = inputs.nth(i)
        field.fill(str(float(field.get_attribute("data-max")) * 0.8))
    expect(pg.locator("[data-score-total]")).to_have_text("80.00")
    pg.fill("#id_strengths", "学生讨论充分")
    pg.fill("#id_suggestions", "板书可以更有条理")
    pg.locator("[data-testid=submit-observation]").tap()
    pg.wait_for_url(re.compile(r"/observations/\d+/$"))
    expect(pg.locator("[data-testid=total]")).to_have_text("80.00")
    # TTSSST: N = 6, N_T = 3, runs TT|SSS|T = 3 → Rt = 0.5, Ch = 2/6 → mixed.
    expect(pg.locator("[data-testid=st-rt]")).to_have_text("0.500")
    expect(pg.locator("[data-testid=st-ch]")).to_have_text("0.333")
    expect(pg.locator("[data-testid=st-mode]")).to_have_text("混合型")
    obs = Observation.objects.get()
    assert obs.status == "submitted" and obs.st_sequence == "TTSSST"
    assert obs.kind == "drop_in" and str(obs.total) == "80.00"

    # The teacher reads it (their notification leads there) and replies.
    pg.context.clear_cookies()
    login(pg, "teacher")
    pg.goto(f"{live_server.url}/observations/")
    pg.get_by_role("link", name="一元二次方程的解法").click()
    pg.wait_for_url(re.compile(rf"/observations/{obs.pk}/$"))
    pg.fill("#id_text", "谢谢李校长，下节课改进板书。")
    pg.locator("[data-testid=send-reply]").tap()
    expect(pg.locator("[data-testid=reply]")).to_contain_text("谢谢李校长")

    # The school's coverage counts it.
    pg.context.clear_cookies()
    login(pg, "principal")
    pg.goto(f"{live_server.url}/observations/coverage/")
    expect(pg.locator("[data-testid=cov-observations]")).to_have_text("1")
    expect(pg.locator("[data-testid=cov-observed]")).to_have_text("1")
    row = pg.locator("[data-testid=cov-row]", has_text="张老师")
    expect(row.locator("[data-testid=cov-count]")).to_have_text("1")
    expect(row).to_contain_text("李校长")
    assert not errors, errors
