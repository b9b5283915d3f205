"""Reading files people keep — rosters, counts tables, recruitment plans — and writing safe ones.

Readers find the header row below any title block, match Vietnamese and English headers, convert
every value and name every problem by file, sheet, row and column (:class:`InputError`). Writers
put tables in the house style into workbooks and HTML pages with formula injection neutralised.
"""

from .columns import COUNT_LEVELS, ROSTER_COLUMNS, Column
from .plans import PLAN_COLUMNS, read_plan
from .problems import InputError, InputWarning, Problems, describe_problem, localise_problems
from .tables import detect_kind, group_columns, load_raw, parse_number, read_any, read_counts, read_roster

__all__ = ["COUNT_LEVELS", "Column", "InputError", "InputWarning", "PLAN_COLUMNS", "Problems", "ROSTER_COLUMNS",
           "describe_problem", "detect_kind", "group_columns", "load_raw", "localise_problems", "parse_number",
           "read_any", "read_counts", "read_plan", "read_roster"]
