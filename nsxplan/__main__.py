"""`python -m nsxplan`, where the console script is not on PATH."""

from nsxplan.cli import main

main()
