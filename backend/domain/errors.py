"""The service layer's errors; each message is a sentence a person can act on."""


class DomainError(Exception):
    """Base of every service-layer error."""


class NotFound(DomainError):
    pass


class Invalid(DomainError):
    pass


class Conflict(DomainError):
    pass


class LimitReached(DomainError):
    pass
