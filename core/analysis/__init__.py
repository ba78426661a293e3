"""Figures for a decision.

Agreement, paired statistics, judge calibration, comparison and sign-off.
"""
