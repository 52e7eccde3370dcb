"""core.templatetags.cards and includes/list_table.html: the card and list-table markup
written once, rendered as the pages wrote it by hand."""

from django.template import Context, Template


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_a_card_with_title_column_and_table():
    html = render(
        '{% card title col="col-lg-7" cls="mb-3" testid="t" table="table-sm" '
        'table_testid="rows" %}<tbody></tbody>{% endcard %}',
        title="<b>Scores</b>",
    )
    assert html == (
        '<div class="col-lg-7"><div class="card mb-3" data-testid="t">'
        '<div class="card-header"><h3 class="card-title">&lt;b&gt;Scores&lt;/b&gt;</h3></div>'
        '<div class="table-responsive"><table class="table card-table table-sm" '
        'data-testid="rows"><tbody></tbody></table></div></div></div>'
    )


def test_a_bare_card_keeps_its_content_unescaped():
    assert render("{% card %}<p>x</p>{% endcard %}") == '<div class="card"><p>x</p></div>'


def test_a_translated_title_keeps_its_percent_sign():
    # a _("…") argument arrives with "%" doubled; {% translate %} shows it once
    html = render('{% card _("Mean (%)") %}{% endcard %}')
    assert '<h3 class="card-title">Mean (%)</h3>' in html


def test_card_table_alone():
    assert render('{% card_table "table-vcenter" %}<tr></tr>{% endcard_table %}') == (
        '<div class="table-responsive"><table class="table card-table table-vcenter">'
        "<tr></tr></table></div>"
    )


def test_a_list_table_renders_rows_and_the_empty_row():
    source = (
        '{% extends "includes/list_table.html" %}'
        "{% block head %}<th>N</th>{% endblock %}"
        "{% block row %}<tr><td>{{ row }}</td></tr>{% endblock %}"
        "{% block columns %}1{% endblock %}"
    )

    class Page(list):
        paginator = type("P", (), {"num_pages": 1, "count": 0})()

    full = render(source, page=Page([1, 2]))
    assert "<tr><td>1</td></tr>" in full and "<tr><td>2</td></tr>" in full
    empty = render(source, page=Page([]))
    assert '<tr><td colspan="1" class="text-secondary">' in empty
