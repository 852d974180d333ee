"""Pages of the community app: fund."""
