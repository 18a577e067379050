import os

from dify_plugin import DifyPluginEnv
from dify_plugin.config.logger_format import plugin_logger_handler

from gcal import logs
from gcal.google._endpoints import EMULATOR_HOST_ENV
from plugin_edge import EdgePlugin
from remote_debug import exit_unless_remote_debugging_can_start


class PluginSettings(DifyPluginEnv):
    """The SDK's settings (environment and .env) plus the plugin's own."""

    LOG_LEVEL: str = logs.DEFAULT_LEVEL
    GOOGLE_CALENDAR_EMULATOR_HOST: str = ""


# Dify cancels a tool call after its own timeout; keep ours a little longer so Dify decides.
settings = PluginSettings(MAX_REQUEST_TIMEOUT=120)
# The core reads the switch from the process environment at every call; a value that came
# from .env (remote debugging) is only in the settings, so hand it on (the environment wins).
if settings.GOOGLE_CALENDAR_EMULATOR_HOST:
    os.environ.setdefault(EMULATOR_HOST_ENV, settings.GOOGLE_CALENDAR_EMULATOR_HOST)
exit_unless_remote_debugging_can_start(settings)  # one clear line when .env cannot work
logs.configure(plugin_logger_handler, settings.LOG_LEVEL)
plugin = EdgePlugin(settings)  # expected errors leave without the SDK's traceback

if __name__ == "__main__":
    plugin.run()
