"""Policy simulation: synthetic provinces, rating behaviour, Monte Carlo experiments."""

from .population import Province, ProvinceSpec, draw_scores, generate_province

__all__ = ["Province", "ProvinceSpec", "draw_scores", "generate_province"]
