"""The audit log: one function appends, in the caller's transaction; nothing edits it."""
