"""Savings commands; importing the package registers every command."""

from akiba.savings.service import accounts, products, transactions
from akiba.savings.service.common import get_account
from akiba.savings.service.products import get_product

__all__ = ["accounts", "get_account", "get_product", "products", "transactions"]
