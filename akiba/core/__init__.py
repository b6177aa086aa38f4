"""Pure building blocks shared by every feature: money, dates, errors. No I/O."""
