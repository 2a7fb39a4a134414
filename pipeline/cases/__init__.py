"""Cases: the caseworkers' watch-list out (``export``), their visit outcomes back (``returns``)."""
