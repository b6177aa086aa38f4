"""Savings: products, accounts, deposits and withdrawals, and the pure interest engine."""
