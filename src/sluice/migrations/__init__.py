"""Alembic migrations, shipped inside the package so `sluice db upgrade` works anywhere."""
