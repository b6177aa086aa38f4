"""Loans: schedules, repayments and their allocation."""
