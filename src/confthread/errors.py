"""Errors a user can meet, each carrying a one-sentence message that says what to do.

ConfthreadError            anything confthread reports instead of a traceback
 ├── UsageError            bad options or input (a date, a tag, an event file): exit status 2
 ├── ArchiveError          the archive cannot be opened or is not one of ours: exit status 2
 └── SourceError           a platform failed after its retries: exit status 1, other sources kept
"""


class ConfthreadError(Exception):
    """Base of every error whose message is meant for the user as it stands."""

    exit_status = 2


class UsageError(ConfthreadError):
    pass


class ArchiveError(ConfthreadError):
    pass


class SourceError(ConfthreadError):
    exit_status = 1
