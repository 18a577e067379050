from dify_plugin import DifyPluginEnv, Plugin

from remote_debug import exit_unless_remote_debugging_can_start

exit_unless_remote_debugging_can_start()  # one clear line when .env cannot work
# Dify cancels a tool call after its own timeout; keep ours a little longer so Dify decides.
plugin = Plugin(DifyPluginEnv(MAX_REQUEST_TIMEOUT=120))

if __name__ == "__main__":
    plugin.run()
