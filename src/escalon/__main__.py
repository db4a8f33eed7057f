"""`python -m escalon`: the command line."""

from escalon.cli import main

main()
