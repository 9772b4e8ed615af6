-- How often each key is verified, per day: valid verifications and failures by code.
-- The id is "{day}/{key id}", so the oldest days are one range.
CREATE TABLE key_usage (
    id text COLLATE "C" PRIMARY KEY,
    valid bigint NOT NULL,
    failed jsonb NOT NULL
);
