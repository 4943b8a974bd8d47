"""Early warnings: the health of each branch month by month before the inspection (health), and
favouritism flags for the supervisors before the complaint (flags, concentration, queue).

Nothing is imported here: the ledger, the grid and the shop raise flags through
``app.services.warnings.flags``, which must not pull in the services that read them."""
