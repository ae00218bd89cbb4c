"""`python -m bot.app.cli`: the `guichet` command without its installed script."""

from bot.app.cli.main import main

main()
