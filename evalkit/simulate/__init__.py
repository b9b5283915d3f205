"""Policy simulation: synthetic provinces, rating behaviour, Monte Carlo experiments."""

from .experiment import Behaviour, Experiment, compare, readings_grid, simulate_roster
from .population import Province, ProvinceSpec, draw_scores, generate_province

__all__ = ["Behaviour", "Experiment", "Province", "ProvinceSpec", "compare", "draw_scores", "generate_province",
           "readings_grid", "simulate_roster"]
