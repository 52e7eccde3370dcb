"""Demo data of the work ledger (discovered by ``jiaoyan demo``).

The ledger items step lives here (order 90); the weekly briefs step (order 95) is in
``demo_briefs`` and registered by importing it.
"""

from . import demo_briefs  # noqa: F401  (registers the briefs step)
