"""`python -m poicheck`."""

from poicheck.cli import main

if __name__ == "__main__":
    main()
