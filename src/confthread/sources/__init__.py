"""Network clients and pure parsers, one module per platform."""
