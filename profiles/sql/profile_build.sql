-- profile_build: one row describing the build that wrote this database (filled by the build).
CREATE OR REPLACE TABLE profile_build (
    built_at TIMESTAMPTZ,
    as_of TIMESTAMPTZ,
    at_risk_after_days INTEGER,
    lapsed_after_days INTEGER,
    new_customer_days INTEGER,
    channel_half_life_days INTEGER,
    clv_horizon_years DOUBLE,
    recent_contacts INTEGER
);

COMMENT ON TABLE profile_build IS 'One row: when this database was built and the settings the value, lifecycle and channel figures used.';
COMMENT ON COLUMN profile_build.built_at IS 'When the build ran (UTC).';
COMMENT ON COLUMN profile_build.as_of IS 'Reference time for recency, lifecycle, RFM and channel weighting: settings profiles.as_of, else the latest event in the data.';
COMMENT ON COLUMN profile_build.at_risk_after_days IS 'Days without a purchase after which an active customer is at_risk.';
COMMENT ON COLUMN profile_build.lapsed_after_days IS 'Days without a purchase after which a customer is lapsed.';
COMMENT ON COLUMN profile_build.new_customer_days IS 'A customer whose first purchase is this recent is new.';
COMMENT ON COLUMN profile_build.channel_half_life_days IS 'Observed channel use counts half after this many days (preferred_channel).';
COMMENT ON COLUMN profile_build.clv_horizon_years IS 'Years of future value in the CLV estimate.';
COMMENT ON COLUMN profile_build.recent_contacts IS 'How many recent contacts customer_360 and agent_profile list.';
