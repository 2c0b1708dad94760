"""``python -m sim.dashboard [--host 127.0.0.1] [--port 8765]``: serve the dashboard with Solara.

Binds to 127.0.0.1 unless another host is asked for; Solara's front end is served from the
installed ``solara-assets`` package, so the page works with no internet connection.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sim.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    try:
        import solara  # noqa: F401
    except ImportError:
        sys.exit("eurosec: the dashboard needs the viz extra: run `make viz` (it builds .venv-viz)")
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "MPLBACKEND": "Agg"}
    shown = "127.0.0.1" if args.host in ("127.0.0.1", "localhost") else args.host
    print(f"eurosec dashboard: http://{shown}:{args.port}  (Ctrl+C to stop)", flush=True)
    # Solara's `solara run`, with the websocket's per-message compression off (sim/dashboard/serve.py)
    cmd = [sys.executable, "-m", "sim.dashboard.serve", "run", "sim.dashboard.app", "--host", args.host, "--port", str(args.port),
           "--production", "--no-open", "--no-check-version"]
    os.execvpe(sys.executable, cmd, env)


if __name__ == "__main__":
    main()
