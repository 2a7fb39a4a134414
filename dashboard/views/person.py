"""Person page: one person opened by a link (``?person=<token>&year=…``); see
:mod:`dashboard.views.personview`, which the drill-down also draws below a household."""

from dashboard.views.personview import page

page()
