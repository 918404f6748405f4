"""Built-in formats plugins."""
