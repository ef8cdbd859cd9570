"""Emergency plans, drills and security incidents run by plan (R8.12, R8.13)."""
