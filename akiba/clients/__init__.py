"""Customers: clients (persons), groups and centers, their identifiers and lifecycles."""
