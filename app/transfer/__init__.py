"""Import and export of the unified model in each vendor's wire format and in JSON Lines."""
