"""Pages of the community app: committees."""
