"""Built-in profiles plugins."""
