"""Pure builders: a validated spec in, a troposphere template out."""
