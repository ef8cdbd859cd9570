"""The data plane: storage layout, checks, tokenization, masking, engines, ingestion jobs."""
