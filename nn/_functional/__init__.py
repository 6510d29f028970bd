"""Implementation modules behind nn.functional (one concept per file)."""
