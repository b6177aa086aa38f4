"""Close of business: the tenant's business date and the daily batch that moves it."""
