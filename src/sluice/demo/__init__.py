"""The synthetic city of 营口: departments, companies, people and their data."""
