"""Storage of callauth: schema, migrations and the store. Knows nothing of HTTP or AGI."""
