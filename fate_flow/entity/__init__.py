"""Plain data shared by every layer: enums, status rules, API paths, errors. Imports nothing from fate_flow."""
