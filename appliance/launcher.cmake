# df_appliance: filled in by the launcher work
