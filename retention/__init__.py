"""Archive rules (retention classes, keep-until, loans, destruction lists): arrives with the archive capability."""
