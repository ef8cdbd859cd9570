"""Sluice: the public data authorized-operation platform (公共数据授权运营平台)."""

__version__ = "0.1.0"
