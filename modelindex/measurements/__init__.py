"""Measured facts about models, and what they say about the cards; no torch needed.

``modelindex verify`` measures models with torch and stores what it measured here; the rules,
the site and verify's own report read it back:

- :mod:`~modelindex.measurements.record`: the typed measurement of one model;
- :mod:`~modelindex.measurements.references`: which reference implementation measures a model;
- :mod:`~modelindex.measurements.cache`: the JSON cache of measurements, and where it is;
- :mod:`~modelindex.measurements.compare`: declared numbers against measured ones, the verdict;
- :mod:`~modelindex.measurements.conventions`: each collection's FLOPs convention.
"""
