"""Page handlers, one module per group of pages."""
