"""Pages of lesson observation, one module per seam: the observation list (``lists``),
recording on a phone (``recording``: lesson, S-T taps, scores, corrections), the
observation page and its actions (``detail``), teacher growth, coverage and distributions
(``analysis``), 同课异构 rounds (``rounds``), rubrics (``rubrics``) and liaison schools
(``liaisons``). ``observations/urls.py`` reads the views from here."""

from .analysis import analysis, coverage, growth, my_growth
from .detail import (
    observation_delete,
    observation_detail,
    observation_link,
    observation_reply,
    observation_submit,
)
from .liaisons import liaison_end, liaison_list, liaison_new
from .lists import observation_list
from .recording import observation_correct, observation_edit, observation_new
from .rounds import round_detail, round_list, round_new
from .rubrics import (
    rubric_detail,
    rubric_edit,
    rubric_list,
    rubric_new,
    rubric_toggle,
    rubric_version,
)

__all__ = [
    "analysis",
    "coverage",
    "growth",
    "liaison_end",
    "liaison_list",
    "liaison_new",
    "my_growth",
    "observation_correct",
    "observation_delete",
    "observation_detail",
    "observation_edit",
    "observation_link",
    "observation_list",
    "observation_new",
    "observation_reply",
    "observation_submit",
    "round_detail",
    "round_list",
    "round_new",
    "rubric_detail",
    "rubric_edit",
    "rubric_list",
    "rubric_new",
    "rubric_toggle",
    "rubric_version",
]
