"""Pure routing policy: model resolution, account choice, failure classification. No I/O here."""
