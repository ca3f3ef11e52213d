"""The model-zoo website: an mkdocs plugin, its page data and the ``modelindex build`` command."""
