"""inventory_site.memory: the collector paused around batch work, then resumed."""

import gc

from inventory_site.memory import gc_paused


def test_gc_paused_pauses_and_resumes_only_what_was_running():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds it
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # was off before: stays off
    finally:
        gc.enable()


def test_gc_paused_resumes_after_an_error():
    try:
        with gc_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
