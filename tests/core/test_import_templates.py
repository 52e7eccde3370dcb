"""Template download: /imports/templates/<kind>.xlsx carries the sample files' exact headers."""

from __future__ import annotations

import pytest

from tests.support import DATA, header_row, read_xlsx

SAMPLES = {
    "org_units": ("org_units.xlsx", "单位代码"),
    "schools": ("schools.xlsx", "学校代码"),
    "people": ("people.xlsx", "工号"),
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_template_has_the_sample_files_headers(world, client_for, kind):
    name, first = SAMPLES[kind]
    resp = client_for(world.city_admin).get(f"/imports/templates/{kind}.xlsx")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "attachment" in resp["Content-Disposition"]
    template_headers = header_row(resp.content, first)
    sample_headers = header_row((DATA / name).read_bytes(), first)
    # The template may add optional columns after the sample's, never change or reorder them.
    assert template_headers[: len(sample_headers)] == sample_headers


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_template_header_is_the_first_row_and_imports_as_empty(world, client_for, kind):
    from tests.support import import_bytes

    content = client_for(world.city_admin).get(f"/imports/templates/{kind}.xlsx").content
    assert read_xlsx(content)[0][0] == SAMPLES[kind][1]
    result = import_bytes(kind, content, f"{kind}.xlsx")
    assert [e.row for e in result.errors] == [0]  # a header and no data: said, not crashed


def test_unknown_template_is_404(world, client_for):
    assert client_for(world.city_admin).get("/imports/templates/nonsense.xlsx").status_code == 404


def test_template_needs_log_in(client, db):
    resp = client.get("/imports/templates/schools.xlsx")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
