"""The screen: the command line, text tables, plots, progress. Computes nothing.

May import every layer below.
"""
