"""Logging filters named by the LOGGING setting."""

import logging


class AsWarningWithoutTraceback(logging.Filter):
    """Log a record as one WARNING line: for refusals that are routine, not faults of OMS.

    Django logs a request with a `Host` not in ALLOWED_HOSTS at ERROR with the traceback; scanners
    send such requests all day, and the 400 answer is all that is needed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        return True
