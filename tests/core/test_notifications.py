"""The notification centre: one's own messages only; opening one marks it read."""

from __future__ import annotations

from jiaoyan.core.models import Notification
from jiaoyan.core.notifications import notify, unread_count


def test_notify_dedupes_and_counts(world):
    assert notify([world.teacher, world.principal], title="教研活动提醒", dedupe_key="a1") == 2
    notify([world.teacher], title="教研活动提醒", dedupe_key="a1")
    assert Notification.objects.filter(recipient=world.teacher).count() == 1
    assert unread_count(world.teacher) == 1


def test_the_list_shows_my_notifications_and_the_bell_counts_them(world, client_for):
    notify([world.teacher], title="给张老师的通知", url="/people/")
    notify([world.principal], title="给校长的通知")
    html = client_for(world.teacher).get("/notifications/").content.decode()
    assert "给张老师的通知" in html and "给校长的通知" not in html
    assert 'data-testid="unread-count">1<' in html


def test_opening_marks_read_and_follows_the_link(world, client_for):
    notify([world.teacher], title="请查看", url="/people/")
    note = Notification.objects.get()
    client = client_for(world.teacher)
    resp = client.get(f"/notifications/{note.pk}/")  # a GET follows it, writes nothing
    assert resp.status_code == 302 and resp["Location"] == "/people/"
    note.refresh_from_db()
    assert note.read_at is None
    html = client.get("/notifications/").content.decode()
    assert f'<form method="post" action="/notifications/{note.pk}/"' in html
    resp = client.post(f"/notifications/{note.pk}/")  # the list's button
    assert resp.status_code == 302 and resp["Location"] == "/people/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_nobody_else_opens_my_notification(world, client_for):
    """Not even the principal above the teacher, nor the city admin: 404, and it stays unread."""
    notify([world.teacher], title="私人通知", url="/people/")
    note = Notification.objects.get()
    for who in ("principal", "city_admin", "district_researcher", "counsellor"):
        assert client_for(world.users[who]).get(f"/notifications/{note.pk}/").status_code == 404
        assert not Notification.objects.visible_to(world.users[who]).exists()
    note.refresh_from_db()
    assert note.read_at is None


def test_an_external_link_is_not_followed(world, client_for):
    notify([world.teacher], title="钓鱼", url="https://evil.example/")
    note = Notification.objects.get()
    resp = client_for(world.teacher).get(f"/notifications/{note.pk}/")
    assert resp["Location"] == "/notifications/"


def test_mark_all_read(world, client_for):
    notify([world.teacher], title="一")
    notify([world.teacher], title="二")
    notify([world.principal], title="三")
    client = client_for(world.teacher)
    assert client.post("/notifications/read/").status_code == 302
    assert unread_count(world.teacher) == 0 and unread_count(world.principal) == 1
    assert client.post("/notifications/read/", {"id": ["x"]}).status_code == 302
    assert (
        "一" not in client.get("/notifications/?unread=1").content.decode().split("</header>")[-1]
    )
