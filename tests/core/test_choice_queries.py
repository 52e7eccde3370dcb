"""A list's dropdowns and a form's model choices read their options with one plain
query: on PostgreSQL, Django's own choice iterator opens a server-side cursor for each
dropdown (declare, fetch, close: three round trips for a few dozen rows)."""

from __future__ import annotations

import pytest
from django.db import connection

from jiaoyan.orgs.models import Stage, Subject


def _server_cursors_opened(run) -> list[str]:
    opened: list[str] = []

    def watch(execute, sql, params, many, context):
        # a server-side cursor is a named cursor of the driver (psycopg's ServerCursor)
        if getattr(context["cursor"], "name", None):
            opened.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        run()
    return opened


def test_the_library_filters_list_every_stage_and_subject(world, client_for):
    html = client_for(world.teacher).get("/resources/").content.decode()
    for row in [*Stage.objects.all(), *Subject.objects.all()]:
        assert f'value="{row.pk}"' in html, row


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side cursors: PostgreSQL")
def test_the_library_page_opens_no_server_side_cursor(world, client_for):
    client = client_for(world.teacher)
    response = None

    def get():
        nonlocal response
        response = client.get("/resources/")

    assert _server_cursors_opened(get) == []
    assert response.status_code == 200
