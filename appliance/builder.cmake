# df_appliance_builder: filled in by the builder work
