"""Ingestion as the control plane sees it: who may upload what, the runs and versions it
recorded, held uploads waiting for their provider, and their pages and routes. The data
plane (``sluice.dataplane``) does the work on files and keys."""
