"""Core of the Google Calendar plugin: everything that is not Dify glue.

Never imports ``dify_plugin``; depends only on the standard library and ``requests``.
"""

__version__ = "0.1.0"
