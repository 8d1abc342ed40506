"""Plots with one look across lessons."""
