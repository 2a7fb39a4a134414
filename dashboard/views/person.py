"""Person page: one person opened by a link (``?person=<token>&year=…``); see
:mod:`dashboard.personview`, which the drill-down also draws below a household."""

from dashboard.personview import page

page()
