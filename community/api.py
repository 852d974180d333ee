"""The community app in the JSON API: the same actions, queries and access functions as the pages."""

from ninja import Router

router = Router(tags=["community"])


# ==== Committees and working groups (section: committees) ====

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====

# (end of section: duty)


# ==== The class fund ledger (section: fund) ====

# (end of section: fund)
