"""Finance's writes (ARCHITECTURE rule 1): each `do_<verb>_<noun>(..., *, actor)` checks, writes money rows
that are never edited afterwards, records an audit row, and publishes after commit."""
