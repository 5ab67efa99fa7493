-- Rendered by sovereign-matrix; do not edit. Run on the synapse database after a restore,
-- before Synapse starts: one-time keys in a backup may have been used since (Synapse's backup guide).
TRUNCATE e2e_one_time_keys_json;
