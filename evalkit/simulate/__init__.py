"""Policy simulation: synthetic provinces, rating behaviour, Monte Carlo experiments and sweeps,
within-group cuts, and workforce models (payroll projection, rating-based removal)."""

from .cuts import CutResult, within_group_cut
from .experiment import Behaviour, Experiment, Sweep, compare, readings_grid, simulate_roster, sweep
from .population import Province, ProvinceSpec, draw_scores, generate_province
from .workforce import (EXIT_RATES, ExitRate, PayrollTarget, Projection, RemovalResult, project_headcount,
                        removal_model, targets_in_force)

__all__ = ["Behaviour", "CutResult", "EXIT_RATES", "ExitRate", "Experiment", "PayrollTarget", "Projection", "Province",
           "ProvinceSpec", "RemovalResult", "Sweep", "compare", "draw_scores", "generate_province", "project_headcount",
           "readings_grid", "removal_model", "simulate_roster", "sweep", "targets_in_force", "within_group_cut"]
