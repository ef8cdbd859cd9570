"""Data resources, fields and classification, catalog batches, search, DCAT (R4.1, R4.2)."""
