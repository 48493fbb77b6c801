"""``python -m relgraph``: the ``relgraph`` command, for when its script is not on the PATH."""

from relgraph.cli import main

__all__: list[str] = []  # nothing to import from here

if __name__ == "__main__":
    main()
