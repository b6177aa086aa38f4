"""Loan commands, one unit of work each: products, applications, disbursement, payments.

The package holds no imports of its own so that `queries` can use its helpers; `akiba.loans.api` imports the
command modules, which registers them.
"""
