"""Outbound HTTP to providers. The only package that makes upstream calls."""
