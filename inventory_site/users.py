"""Who did it: the user a service records as having acted."""


def acting_user(user):
    """``user`` when a person is signed in, else ``None``: the system acted (a
    nightly task, an import from the command line, an anonymous request)."""
    return user if user is not None and user.is_authenticated else None
