"""`make bench`: run every benchmark script of this folder in turn (or the ones named: `python -m bench ledger`)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(args: list[str]) -> None:
    """`python -m bench cob --loans 1000000`: the names first, then options every named script gets as its own."""
    first_option = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    names, options = args[:first_option], args[first_option:]
    scripts = [HERE / f"{n}.py" for n in names] if names else sorted(
        p for p in HERE.glob("*.py") if not p.name.startswith("_")
    )
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        sys.argv = [str(script), *options]
        runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
