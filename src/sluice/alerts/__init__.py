"""Monitoring over the platform's own records: rules raise alerts, critical ones contain
their subject, the bureau handles them (issue 13, R8.8, R10.2, N8)."""
