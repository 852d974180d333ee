"""Who may see and change what in the community app: every fetch by id goes through here."""


# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
