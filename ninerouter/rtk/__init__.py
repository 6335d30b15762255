"""Token saver filters (pure)."""
