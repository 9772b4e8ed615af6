-- Management tokens (kwm_…): who may manage this server, as which site manager.
-- Only the SHA-256 of each token is kept.
CREATE TABLE management_tokens (
    id text COLLATE "C" PRIMARY KEY,
    user_id text NOT NULL,
    name text NOT NULL,
    hash bytea NOT NULL UNIQUE,
    masked text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    revoked_at bigint
);
