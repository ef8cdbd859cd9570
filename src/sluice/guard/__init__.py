"""The one place that decides every data access."""
