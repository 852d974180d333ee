"""What families and staff do together beyond the classroom: committees and working groups, volunteers,
duty rosters with the class quantification, and the class fund ledger. See docs/design/community.md."""


# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
