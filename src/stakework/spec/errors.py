"""The root of every error a user or a peer can cause. The command line turns these into a message and exit
status 2, never a traceback; each subclass names what is wrong and what to do."""


class StakeworkError(ValueError):
    """Bad input: a file, a flag, a message. Its text is shown to the user as is."""
