"""The resource library's loop in a real browser (issue 14, "Done when").

A teacher writes a micro-lesson, uploads a small real video (a WebM the browser itself
records from a canvas) and a PDF design (printed by the browser), and submits it; the
district researcher reviews it and returns it with a comment; the teacher reads why,
revises and resubmits; it is reviewed again and published (public), and in the city's
优课 round the school recommends it and the district selects it for the city. Another
teacher finds it by a two-character word typed in traditional characters (微課), sees
its previews (the <video> player and the PDF's frame), rates it and records using it in
a lesson; after the periodic aggregation of hits the author sees the view and the
application on "my resources". A visitor without an account finds it on the public
云课堂 page, with its video player.
"""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.utils import timezone

from jiaoyan.resources import rounds, use
from jiaoyan.resources.models import Recommendation, Resource
from tests.conftest import make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reseeded"),
]

TITLE = "勾股定理的证明微课"

# A few coloured frames from a canvas, recorded by the browser's own VP8 encoder.
RECORD_WEBM = """
async () => {
  const c = document.createElement('canvas'); c.width = 64; c.height = 48;
  const g = c.getContext('2d');
  const rec = new MediaRecorder(c.captureStream(10), {mimeType: 'video/webm;codecs=vp8'});
  const parts = [];
  rec.ondataavailable = e => parts.push(e.data);
  const done = new Promise(r => { rec.onstop = r; });
  rec.start();
  for (let i = 0; i < 8; i++) {
    g.fillStyle = `hsl(${i * 40}, 80%, 50%)`; g.fillRect(0, 0, 64, 48);
    await new Promise(r => setTimeout(r, 60));
  }
  rec.stop(); await done;
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  let s = ''; for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
"""


def _media(browser) -> tuple[bytes, bytes]:
    """A real WebM video and a real PDF, made by the browser."""
    pg = browser.new_context().new_page()
    pg.set_content("<h1>Lesson design</h1><p>Pythagoras: a² + b² = c²</p>")
    webm = base64.b64decode(pg.evaluate(RECORD_WEBM))
    pdf = pg.pdf(format="A5")
    pg.context.close()
    assert webm[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in webm[:64]
    assert pdf.startswith(b"%PDF-")
    return webm, pdf


def _attach(page, name: str, mime: str, data: bytes) -> None:
    page.get_by_test_id("file-form").locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    with page.expect_navigation():
        page.get_by_test_id("file-form").locator("button").click()


def _review(page, base, resource, *, comment: str, recommendation: str) -> None:
    """The district researcher assigns herself, scores, comments and decides."""
    page.goto(f"{base}/resources/{resource.pk}/")
    page.get_by_test_id("reviewer-form").locator("[name=reviewer]").fill("R001")
    page.get_by_test_id("reviewer-form").locator("button").click()
    page.get_by_test_id("my-review").click()
    form = page.get_by_test_id("review-form")
    for field in form.locator("input[name^=score_]").all():
        field.fill(field.get_attribute("max") or "10")
    form.locator("textarea[name=comment]").fill(comment)
    form.locator("select[name=recommendation]").select_option(recommendation)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/resources/reviews/"))
    page.goto(f"{base}/resources/{resource.pk}/")
    decision = page.get_by_test_id("decision-form")
    decision.locator("select[name=decision]").select_option(recommendation)
    decision.locator("textarea[name=comment]").fill(comment)
    with page.expect_navigation():
        decision.locator("button").click()


def test_micro_lesson_submitted_returned_published_recommended_found_used(
    world, live_server, browser, page, login
):
    base = live_server.url
    w = world
    webm, pdf = _media(browser)
    page.on("dialog", lambda d: d.accept())
    today = timezone.localdate()
    the_round = rounds.create_round(
        actor=w.users["city_admin"],
        org_unit=w.units["city_bureau"],
        title="2026 优课",
        kinds=["micro_lesson"],
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        school_quota=2,
        county_quota=1,
        city_quota=1,
    )
    reader = make_person(
        "T009", "吴老师", w.schools["school_a"].org_unit, role="teacher", username="reader"
    )

    # 1. The teacher writes the micro-lesson (public), uploads the video and the PDF design.
    login(page, "teacher")
    page.goto(f"{base}/resources/new/")
    form = page.get_by_test_id("resource-form")
    form.locator("#id_org_unit").select_option(label="临渭区第一初级中学")
    form.locator("#id_kind").select_option("micro_lesson")
    form.locator("#id_title").fill(TITLE)
    form.locator("#id_summary").fill("用拼图演示勾股定理的证明，八年级下册")
    form.locator("#id_grade").fill("8")
    form.locator("#id_visibility").select_option("public")
    form.locator("#id_subject").select_option(label="数学")
    form.locator("#id_stage").select_option(label="初中")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/resources/\d+/$"))
    r = Resource.objects.get(title=TITLE)
    _attach(page, "勾股定理微课.webm", "video/webm", webm)
    _attach(page, "勾股定理教学设计.pdf", "application/pdf", pdf)
    assert page.get_by_test_id("file-row").count() == 2
    assert page.get_by_test_id("preview-video").count() == 1  # the author previews too
    with page.expect_navigation():
        page.get_by_test_id("submit-resource").click()

    # 2. The district researcher reviews it and returns it with a comment.
    researcher = browser.new_context(locale="zh-CN").new_page()
    researcher.set_default_timeout(15000)
    login(researcher, "district_researcher")
    _review(researcher, base, r, comment="请补充拼图证明的分步讲解。", recommendation="return")
    r.refresh_from_db()
    assert r.status == "returned"

    # 3. The teacher reads why, revises and resubmits.
    page.goto(f"{base}/resources/{r.pk}/")
    assert "请补充拼图证明的分步讲解。" in page.get_by_test_id("events").inner_text()
    page.get_by_test_id("edit-resource").click()
    page.locator("#id_summary").fill("用拼图演示勾股定理的证明，分步讲解，八年级下册")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(rf"/resources/{r.pk}/$"))
    with page.expect_navigation():
        page.get_by_test_id("submit-resource").click()
    r.refresh_from_db()
    assert r.status == "submitted" and r.round == 2

    # 4. Reviewed again and published.
    _review(researcher, base, r, comment="讲解清楚，同意发布。", recommendation="publish")
    r.refresh_from_db()
    assert r.status == "published"

    # 5. The round: the principal recommends it, the district selects it for the city.
    principal = browser.new_context(locale="zh-CN").new_page()
    principal.set_default_timeout(15000)
    login(principal, "principal")
    principal.goto(f"{base}/resources/rounds/{the_round.pk}/candidates/")
    with principal.expect_navigation():
        principal.get_by_test_id("candidate-row").filter(has_text=TITLE).get_by_test_id(
            "recommend"
        ).click()
    principal.context.close()
    researcher.goto(f"{base}/resources/rounds/{the_round.pk}/received/")
    with researcher.expect_navigation():
        researcher.get_by_test_id("entry-row").filter(has_text=TITLE).get_by_test_id(
            "select"
        ).click()
    researcher.context.close()
    sent = Recommendation.objects.filter(round=the_round, resource=r)
    assert sent.filter(level="school", to_unit=w.units["linwei"]).exists()
    assert sent.filter(level="county", to_unit=w.units["city"]).exists()

    # 6. Another teacher finds it by 微課 (traditional), previews, rates and uses it.
    other = browser.new_context(locale="zh-CN").new_page()
    other.set_default_timeout(15000)
    login(other, reader.user.username)
    other.goto(f"{base}/resources/?q=微課")
    rows = other.get_by_test_id("resource-row")
    assert rows.count() == 1
    rows.first.locator("a").first.click()
    other.wait_for_url(re.compile(rf"/resources/{r.pk}/$"))
    video = other.get_by_test_id("preview-video")
    assert video.count() == 1
    assert other.get_by_test_id("preview-pdf").count() == 1
    # The player reads the real video (its metadata, through byte ranges).
    other.wait_for_function("document.querySelector('[data-testid=preview-video]').readyState >= 1")
    with other.expect_navigation():
        other.get_by_test_id("rate-4").click()
    other.get_by_test_id("use-form").locator("textarea, input[name=note]").first.fill(
        "八年级二班勾股定理第一课时"
    )
    with other.expect_navigation():
        other.get_by_test_id("record-use").click()
    assert other.get_by_test_id("my-uses").count() == 1
    other.context.close()

    # 7. The periodic job counts the views; the author sees them, and the application.
    use.aggregate_hits()
    page.goto(f"{base}/resources/mine/")
    row = page.get_by_test_id("resource-row").filter(has_text=TITLE)
    assert int(row.get_by_test_id("row-views").inner_text()) >= 1
    assert row.get_by_test_id("row-uses").inner_text().strip() == "1"
    page.goto(f"{base}/resources/{r.pk}/")
    assert page.get_by_test_id("use-count").inner_text().strip() == "1"
    assert page.get_by_test_id("application").count() == 1

    # 8. A visitor without an account finds it on the public page, with its player.
    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.set_default_timeout(15000)
    visitor.goto(f"{base}/accounts/login/")
    visitor.get_by_test_id("public-library-link").click()
    visitor.fill("input[name=q]", "微課")
    visitor.locator("input[name=q]").press("Enter")
    visitor.get_by_test_id("public-row").filter(has_text=TITLE).locator("a").click()
    assert visitor.get_by_test_id("preview-video").count() == 1
    assert "请补充" not in visitor.content()
    visitor.context.close()
