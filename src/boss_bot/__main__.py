"""`python -m boss_bot` is `bossctl`."""

from boss_bot.cli.app import main

if __name__ == "__main__":
    main()
