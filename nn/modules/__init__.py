"""Layer modules (one concept per file), re-exported by nn."""
