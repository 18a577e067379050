"""Performance benchmark of the plugin (``scripts/bench``; not part of the test run).

Drives the real plugin process over Dify's stdio protocol (``tests.plugin_process``) against
the Google emulator with network latency, and checks the targets of the benchmark issue:
round trips per tool call, latency as a ratio to the unavoidable round trips, agent-visible
tokens per listed event, cold start and resident memory against a bare SDK plugin
(``bench/bare_plugin``), and 200 concurrent calls.
"""
