"""Run a policy over data and return typed results: the cap check, enforcement, a file check, plans.

Every result shares one protocol (:class:`~evalkit.compliance.results.Result`): ``tables()``,
``to_excel()``, ``to_html()``, ``to_json()`` and a rich display in JupyterLab.
"""

from .cap import CapReport, check_cap, enforce_cap
from .check import CheckResult, check_file
from .recruitment import RecruitmentReport, check_recruitment
from .results import Result

__all__ = ["CapReport", "CheckResult", "RecruitmentReport", "Result", "check_cap", "check_file",
           "check_recruitment", "enforce_cap"]
