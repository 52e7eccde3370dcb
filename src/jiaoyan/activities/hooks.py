"""Where other modules plug into activities, without activities importing them.

* **Decisions → work ledger** (issue #5). The ledger app registers one sink in its
  ``AppConfig.ready``::

      from jiaoyan.activities import hooks

      def receive(*, actor, decision) -> str:
          item = ledger.services.create_item_from_decision(actor=actor, decision=decision)
          return str(item.pk)            # stored in Decision.ledger_ref

      hooks.register_decision_sink(receive)

  ``services.send_decisions_to_ledger`` calls it inside its transaction for each decision
  marked ``for_ledger`` and not yet sent, stores the returned reference and the time, and
  audits it. Until a sink is registered the pages hide the button and the service refuses
  with a clear message — nothing is faked.

* **Panels on the activity page** (e.g. observations, issue #4, listing the lesson
  observations made during a 听评课 activity)::

      hooks.register_detail_panel(hooks.DetailPanel(
          key="observations", template="observations/_activity_panel.html",
          context=lambda request, activity: {...} or None, order=50))

  The context function receives the request and the activity the user may see; it must
  start its own reads from ``visible_to(request.user)``.

* **When an activity finishes** (training counting, observations closing their drafts):
  ``register_finish_hook(fn)``; ``fn(actor=..., activity=...)`` runs inside the finishing
  transaction, after hours were credited.
"""

from __future__ import annotations

from collections.abc import Callable

from jiaoyan.core.panels import DetailPanel as DetailPanel  # (re-exported for the panels)
from jiaoyan.core.panels import DetailPanels

DecisionSink = Callable[..., str]
FinishHook = Callable[..., None]

_decision_sink: DecisionSink | None = None
_finish_hooks: list[FinishHook] = []


def register_decision_sink(fn: DecisionSink) -> None:
    global _decision_sink
    _decision_sink = fn


def unregister_decision_sink() -> None:
    global _decision_sink
    _decision_sink = None


def decision_sink() -> DecisionSink | None:
    return _decision_sink


def ledger_available() -> bool:
    return _decision_sink is not None


def register_finish_hook(fn: FinishHook) -> None:
    if fn not in _finish_hooks:
        _finish_hooks.append(fn)


def finish_hooks() -> list[FinishHook]:
    return list(_finish_hooks)


_panels = DetailPanels()
register_detail_panel = _panels.register
detail_panels = _panels.shown  # (request, activity)
