"""Pages of the community app: volunteers."""
