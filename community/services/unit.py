"""The unit of work: every service use case commits or rolls back here, and nowhere else."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from ..extensions import db, writing

P = ParamSpec("P")
R = TypeVar("R")


def use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` in one transaction: committed when it returns, rolled back when it raises.

    A use case called from inside another joins the outer one's transaction.
    """

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if writing.get():
            return fn(*args, **kwargs)
        session = db.session()
        if session.in_transaction():
            # End the request's read snapshot so the write starts from fresh data.
            session.commit()
        token = writing.set(True)
        try:
            result = fn(*args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            writing.reset(token)

    return run
