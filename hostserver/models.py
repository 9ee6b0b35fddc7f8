"""Models of the hostserver app."""
