"""Service configuration, read once (`load_settings`) into a frozen Settings that is passed down.

loader: the conf file to Settings; sections: the Settings dataclasses; conf_values: checked readers of one
value; model_store and spark: the sections read on demand by the services that use them.
"""
from fate_flow.settings.conf_values import PROJECT_ROOT, SettingsError, conf_float, conf_int
from fate_flow.settings.loader import DEFAULT_CONF_PATH, DEFAULT_HOME, load_settings, settings_from_dict
from fate_flow.settings.model_store import ModelStoreSettings, model_store_settings
from fate_flow.settings.sections import (DatabaseSettings, FateBoardSettings, FileAccessSettings, FlowSettings,
                                         HttpAuthSettings, HttpSettings, JobDefaultSettings, LimitSettings,
                                         LogSettings, PermissionSettings, ResourceSettings, SchedulerSettings,
                                         Settings, StorageSettings, WorkerSettings)
from fate_flow.settings.spark import SparkSettings, spark_settings

__all__ = ["PROJECT_ROOT", "DEFAULT_CONF_PATH", "DEFAULT_HOME", "SettingsError", "conf_int", "conf_float",
           "load_settings", "settings_from_dict", "ModelStoreSettings", "model_store_settings", "SparkSettings",
           "spark_settings", "Settings", "FlowSettings", "DatabaseSettings", "StorageSettings", "FileAccessSettings",
           "PermissionSettings", "HttpSettings", "LimitSettings", "LogSettings", "FateBoardSettings",
           "JobDefaultSettings", "SchedulerSettings", "ResourceSettings", "WorkerSettings", "HttpAuthSettings"]
