"""Runs the shared Alembic environment (a fresh run each time: module caching would skip it)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent.parent / "_env.py"))
