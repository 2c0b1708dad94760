"""``python -m sim.dashboard.serve run sim.dashboard.app ...``: Solara's own command line
(``solara run``) with the websocket's per-message compression switched off.

Uvicorn offers permessage-deflate by default and the browser accepts it, so every message was
deflated at zlib's default level: for the month's two PNG pictures (already compressed, and not
made smaller) that cost 11.5 ms of the server's CPU per step, more than drawing them. The other
messages are small. ``python -m sim.dashboard`` starts the server through this module.

Before serving, one throwaway dashboard is built and stepped twice (:func:`warm_up`): the default
scenario's config is composed (a few seconds) and the first-use costs of the model, pandas and
matplotlib are paid at start, not by the first page and its first Step. What is alive then lives
as long as the server, and is frozen out of the garbage collector's sight (``gc.freeze``).
"""

from __future__ import annotations

import functools
import gc
import sys

import uvicorn


def _without_deflate(init):
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        kwargs["ws_per_message_deflate"] = False
        init(self, *args, **kwargs)
    return wrapper


def warm_up() -> None:
    from sim.dashboard.app import Dashboard

    Dashboard().step(2)
    # what is alive now (the modules, the scenario's config, matplotlib's fonts: some 300,000
    # objects) lives as long as the server: out of the collector's sight, a full collection during
    # a month scans only what the pages made since (it scanned all of them: 0.2-0.3 s)
    gc.collect()
    gc.freeze()


def main() -> None:
    uvicorn.Config.__init__ = _without_deflate(uvicorn.Config.__init__)
    if "--no-warm-up" in sys.argv:
        sys.argv.remove("--no-warm-up")
    else:
        warm_up()
    from solara.__main__ import main as solara_main

    solara_main()


if __name__ == "__main__":
    main()
