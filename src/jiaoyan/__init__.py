"""Jiaoyan (教研): the working platform of a regional teaching-research system."""

__version__ = "0.1.0"
