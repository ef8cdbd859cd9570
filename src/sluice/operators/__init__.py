"""Operators (运营机构): qualification review (R2.1–R2.10) and competitive selection."""
