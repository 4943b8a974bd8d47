"""How the process is tuned for bursts (a county's Party day at 9:00, a village shop's rush),
measured in bench/ (bench/README.md, "the collector"). Called once, when start-up is done."""

import gc


def settle_after_startup() -> None:
    # What startup built (routes, models, compiled statements) lives as long as the process:
    # out of the collector's sight, a full collection under load does not walk it again.
    gc.collect()
    gc.freeze()
    # Young collections every 20,000 allocations, not 700: a burst's requests allocate and
    # free thousands of objects each, and the collector's share of the server's CPU under the
    # check-in burst fell from ~5 % to ~2 % (0.37 s to 0.17 s of ~7 s).
    gc.set_threshold(20_000, 20, 10)
