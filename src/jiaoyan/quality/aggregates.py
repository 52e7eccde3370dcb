"""Keys of the aggregates of scores quality publishes (registered in ``apps.py`` with
:func:`jiaoyan.core.restricted.register_aggregate`, marked on the views and operations
that publish them with :func:`jiaoyan.core.restricted.publishes`)."""

ANALYSIS = "quality.analysis"  # GroupStat: all › county › school › class, per subject
ITEMS = "quality.items"  # ItemStat and PaperStat: one subject's paper, whole exam
VALUE_ADDED = "quality.value_added"  # ValueAddedStat: all › county › school › class
