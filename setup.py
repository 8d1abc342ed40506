"""Shim for Beam's ``--setup_file ./setup.py``: Dataflow workers build mlbasics from pyproject.toml."""

from setuptools import setup

setup()
