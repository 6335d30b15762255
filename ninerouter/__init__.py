"""ninerouter: a local LLM router and CLI toolkit. No public Python API is promised."""

__version__ = "0.1.0"
