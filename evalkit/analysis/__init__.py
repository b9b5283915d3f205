"""Statistics and figures for researchers: distributions, inflation indices, cluster-aware inference, plots.

Import the modules you need (``from evalkit.analysis import stats, plots``); plotting pulls in
matplotlib and seaborn, so nothing here is imported by ``import evalkit``.
"""
