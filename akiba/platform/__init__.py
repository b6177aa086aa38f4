"""The platform: settings, database and tenancy, auth, audit, app factory and CLI."""
