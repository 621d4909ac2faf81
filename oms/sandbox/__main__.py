"""`python -m oms.sandbox`: run the Omnitron sandbox without Django."""

from oms.sandbox.cli import main

if __name__ == "__main__":
    main()
