"""One module per group of figures; each returns the bench.json keys it measured."""
