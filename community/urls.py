from django.urls import path  # noqa: F401  (each area adds its routes)

from . import views_committees, views_duty, views_fund, views_volunteers  # noqa: F401  (each area adds its routes)

app_name = "community"
urlpatterns: list = []

# ==== Committees and working groups (section: committees) ====
urlpatterns += []
# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====
urlpatterns += []
# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====
urlpatterns += []
# (end of section: duty)


# ==== The class fund ledger (section: fund) ====
urlpatterns += []
# (end of section: fund)
