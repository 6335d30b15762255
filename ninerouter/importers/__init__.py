"""Parsers for files users bring (proxies.txt, 9Router homes): parse and validate, never write."""
