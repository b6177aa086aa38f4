"""Organisation: offices (a hierarchy), staff, working days, holidays and code lists."""
