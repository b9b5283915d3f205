"""evalkit — Vietnam's cadre and civil-servant assessment rules as dated, cited code.

The public API, one screen::

    import evalkit as ek
    roster = ek.read_roster("ratings.xlsx")          # validated, every problem named
    report = ek.check_cap(roster, "decree-335-2025")  # per unit and task group: cap, excess, demotions
    final = ek.enforce_cap(roster)                    # minimal demotions, with a reason each
    result = ek.check_file("ratings.xlsx")            # everything `evalkit check` reports, as one result

The layers, top to bottom (imports only point down): ``cli`` → ``report`` → ``compliance`` /
``simulate`` / ``analysis`` → ``rules`` → ``io`` → ``policies`` → ``parameters`` → ``levels`` /
``messages``. See docs/architecture.md.
"""

from . import levels, parameters, policies, resources
from .compliance import CapReport, CheckResult, RecruitmentReport, check_cap, check_file, check_recruitment, enforce_cap
from .io import InputError, InputWarning, read_counts, read_plan, read_roster
from .levels import LEVEL_DTYPE, LEVELS, parse_level, parse_levels
from .rules.bands import annual_average, annual_scores, rate_by_score
from .rules.eligibility import check_ceilings, level_ceiling
from .rules.streamlining import streamlining_candidates
from .version import __version__ as __version__


__all__ = [
    "CapReport", "CheckResult", "InputError", "InputWarning", "LEVELS", "LEVEL_DTYPE", "RecruitmentReport",
    "annual_average", "annual_scores", "check_cap", "check_ceilings", "check_file", "check_recruitment",
    "enforce_cap", "level_ceiling", "levels", "parameters", "parse_level", "parse_levels", "policies",
    "rate_by_score", "read_counts", "read_plan", "read_roster", "resources", "streamlining_candidates", "__version__",
]
