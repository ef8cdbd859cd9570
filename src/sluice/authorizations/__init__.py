"""Authorized operation agreements (授权运营, R3, R5, N1): the bureau authorizes an operator.

Every way an agreement ends goes through ``endings``; ``document_render`` lays a signed
agreement out as a printable HTML page and as a PDF, ``document_service`` fills and serves it.
"""
