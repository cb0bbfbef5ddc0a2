"""What people do, once for every door (API, bot): store changes and outbox rows together."""
