from django.urls import path

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
urlpatterns += [
    path("duty/", views_duty.duty_list, name="duty_list"),
    path("duty/<int:roster_id>/", views_duty.duty_roster, name="duty_roster"),
    path("duty/mine/", views_duty.duty_mine, name="duty_mine"),
    path("quant/", views_duty.quant_compare, name="quant_compare"),
    path("quant/categories/", views_duty.quant_categories, name="quant_categories"),
    path("quant/class/<int:class_id>/", views_duty.quant_class, name="quant_class"),
]
# (end of section: duty)


# ==== The class fund ledger (section: fund) ====
urlpatterns += []
# (end of section: fund)
