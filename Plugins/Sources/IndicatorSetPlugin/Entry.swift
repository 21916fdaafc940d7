// Entry point placeholder: the plugin's exported bourse_plugin_entry_v1 lands here.
import BourseSDK
