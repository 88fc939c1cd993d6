"""Console pages for communications; one module per area, all thin over comms services."""
