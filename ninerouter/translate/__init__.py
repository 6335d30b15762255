"""Pure format translation and SSE framing. No I/O here."""
