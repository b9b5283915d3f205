"""evalkit — Vietnam's cadre and civil-servant assessment rules as dated, cited code.

The public API, one screen::

    import evalkit as ek
    roster = ek.read_roster("ratings.xlsx")          # validated, every problem named
    report = ek.check_cap(roster, "decree-335-2025")  # per unit and task group: cap, excess, demotions
    final = ek.enforce_cap(roster)                    # minimal demotions, with a reason each
"""

from . import levels, parameters, policies
from .compliance import CapReport, check_cap, enforce_cap
from .io import read_counts, read_roster
from .levels import LEVEL_DTYPE, LEVELS, parse_level, parse_levels
from .rules.bands import annual_average, annual_scores, rate_by_score
from .rules.eligibility import check_ceilings, level_ceiling
from .rules.recruitment import check_recruitment, read_plan, streamlining_candidates
from .schema import InputError, InputWarning

__version__ = "0.1.0"



def project_headcount(*args, **kwargs):
    """Workforce projection under the quota rules; see :func:`evalkit.simulate.project_headcount`."""
    from .simulate.workforce import project_headcount as _project

    return _project(*args, **kwargs)


__all__ = [
    "CapReport", "InputError", "InputWarning", "LEVELS", "LEVEL_DTYPE", "annual_average", "annual_scores",
    "check_cap", "check_ceilings", "check_recruitment", "enforce_cap", "level_ceiling", "project_headcount",
    "read_plan", "streamlining_candidates", "levels", "parameters", "parse_level", "parse_levels", "policies",
    "rate_by_score", "read_counts", "read_roster",
]
