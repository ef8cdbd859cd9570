"""Shared foundations: settings, database, errors, clock, crypto, i18n, state machines."""
