"""Data quality: periodic assessments and provider scores (R4.3, R9.3), and correction
tickets (``tickets/``)."""
