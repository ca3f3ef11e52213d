"""Online checks of a zoo's URLs (opt-in): liveness, sizes, hashes and Code anchors.

Start at :func:`modelindex.online.run.check_urls`. This package imports requests only in the
modules that ask the network, so that offline validate never pays for it.
"""
