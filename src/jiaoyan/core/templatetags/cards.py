"""``{% card title col=… %}…{% endcard %}``: a Tabler card around its content.

The pages put their figures, tables and forms in cards of one markup; the tag writes it
once::

    {% card _("Per dimension") col="col-lg-5" table="table-vcenter" %}
      <thead>…</thead><tbody>…</tbody>
    {% endcard %}

- ``title``: the header's title (no header when empty);
- ``col``: the grid column the card stands in (``<div class="col-lg-5">`` around it);
- ``cls``, ``id``, ``testid``: more classes, the id and the ``data-testid`` of the card;
- ``table``: the content is the rows of a table that fills the card
  (``<div class="table-responsive"><table class="table card-table …">``), ``table``
  naming its further classes ("" for none) and ``table_testid`` its ``data-testid``.

``{% card_table "table-sm" testid=… %}…{% endcard_table %}`` is that table alone, for a
card whose header the tag does not write (actions beside the title) or that holds more.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _attrs(**values: str) -> SafeString:
    """` name="value"` for each value given (``data_testid`` is ``data-testid``)."""
    return format_html_join(
        "", ' {}="{}"', ((k.replace("_", "-"), v) for k, v in values.items() if v)
    )


def _table(content: str, classes: str, testid: str) -> SafeString:
    return format_html(
        '<div class="table-responsive"><table{}>{}</table></div>',
        _attrs(**{"class": f"table card-table {classes}".strip(), "data_testid": testid}),
        content,
    )


@register.simple_block_tag
def card_table(content: str, classes: str = "", *, testid: str = "") -> SafeString:
    return _table(content, classes, testid)


@register.simple_block_tag
def card(
    content: str,
    title: str = "",
    *,
    col: str = "",
    cls: str = "",
    id: str = "",
    testid: str = "",
    table: str | None = None,
    table_testid: str = "",
) -> SafeString:
    if table is not None:
        content = _table(content, table, table_testid)
    # a _("…") argument comes with its percent signs doubled, as {% translate %} restores
    title = str(title).replace("%%", "%")
    header = (
        format_html('<div class="card-header"><h3 class="card-title">{}</h3></div>', title)
        if title
        else ""
    )
    html = format_html(
        "<div{}>{}{}</div>",
        _attrs(**{"class": f"card {cls}".strip(), "id": id, "data_testid": testid}),
        header,
        content,
    )
    if col:
        html = format_html('<div class="{}">{}</div>', col, html)
    return mark_safe(html)
