"""Akiba: an open-source core banking platform for microfinance and financial inclusion."""

__version__ = "0.1.0"
