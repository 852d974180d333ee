"""Pages of the community app: duty."""
