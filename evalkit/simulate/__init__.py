"""Policy simulation: synthetic provinces, rating behaviour, Monte Carlo experiments."""

from .experiment import Behaviour, Experiment, compare, readings_grid, simulate_roster
from .workforce import PayrollTarget, Projection, project_headcount, targets_in_force
from .population import Province, ProvinceSpec, draw_scores, generate_province

__all__ = ["Behaviour", "Experiment", "Province", "ProvinceSpec", "compare", "draw_scores", "generate_province", "PayrollTarget", "Projection", "project_headcount", "targets_in_force",
           "readings_grid", "simulate_roster"]
