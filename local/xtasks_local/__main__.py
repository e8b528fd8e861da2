"""``python -m xtasks_local``: run the local API (see xtasks_local.server)."""

import sys

from xtasks_local.server import run, serve_child

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["serve"]:
        sys.exit(serve_child(arguments[1:]))
    sys.exit(run(arguments))
