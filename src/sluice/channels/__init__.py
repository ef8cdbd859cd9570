"""The register of existing public-data operation channels and their move onto the
platform (R3.7)."""
