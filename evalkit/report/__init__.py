"""Reports composed for readers: executed notebooks as HTML with a run record, blank templates.

The results of checks write their own workbooks and pages (:mod:`evalkit.compliance.results`);
this layer runs the research notebooks (``evalkit report``), validates the bundled data and writes
the blank input workbooks offices fill in.
"""

from .notebooks import EXPECTED_NOTEBOOKS, run_report, save_table, validate_bundled_data
from .templates import write_template

__all__ = ["EXPECTED_NOTEBOOKS", "run_report", "save_table", "validate_bundled_data", "write_template"]
