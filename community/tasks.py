"""Reminders and sweeps of the community app (Celery; eager on one machine)."""


# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
