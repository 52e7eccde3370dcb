"""Where other modules plug into observations, without observations importing them.

* **Panels on the observation page** (e.g. the work ledger, issue #5, offering to turn a
  submitted observation's suggestions into a ledger item)::

      hooks.register_detail_panel(hooks.DetailPanel(
          key="ledger", template="ledger/_observation_panel.html",
          context=lambda request, observation: {...} or None, order=50))

  The context function receives the request and the observation the user may see; it
  must start its own reads from ``visible_to(request.user)`` and return None to hide.
"""

from __future__ import annotations

from jiaoyan.core.panels import DetailPanel as DetailPanel  # (re-exported for the panels)
from jiaoyan.core.panels import DetailPanels

_panels = DetailPanels()
register_detail_panel = _panels.register
detail_panels = _panels.shown  # (request, observation)
