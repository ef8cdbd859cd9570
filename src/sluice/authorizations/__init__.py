"""Authorized operation agreements (授权运营, R3, R5, N1): the bureau authorizes an operator.

``document`` renders a signed agreement as a printable HTML page and as a PDF.
"""
