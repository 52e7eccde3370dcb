"""Django's makemessages, also extracting ``_lazy("…")``.

The code base imports ``gettext_lazy as _lazy`` where a module needs both the eager and
the lazy function (``gettext as _``); xgettext knows only Django's own names, so without
this the lazy strings (form labels, sort options, choices) never reach a catalogue and
stay English in every language. ``scripts/i18n.py`` runs this command.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
