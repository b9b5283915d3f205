"""Pure rules over DataFrames: the cap, score bands, Decree 90 ceilings, recruitment quotas."""
