"""Correction tickets (纠错工单, R9.1, R9.3): anyone who uses a dataset (an operator, the
bureau, another department) files one on a dataset, a field or a row; the providing
department must answer within a configured number of working days on the Chinese statutory
calendar (``core.workdays``); tickets left unanswered past their deadline are flagged and
counted in the provider's score."""
