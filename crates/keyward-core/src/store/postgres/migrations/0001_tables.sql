-- Keyward on PostgreSQL, schema 1: one table per kind of record, typed columns.
-- Text keys sort as bytes (COLLATE "C"), the order the embedded store keeps them in.

CREATE TABLE keyward_meta (
    k text COLLATE "C" PRIMARY KEY,
    v bytea NOT NULL
);

CREATE TABLE settings (
    k text COLLATE "C" PRIMARY KEY CHECK (k = 'settings'),
    inactivity_days bigint NOT NULL,
    reminder_days bigint[] NOT NULL,
    token_lifetime_days bigint NOT NULL,
    token_reminder_days bigint[] NOT NULL,
    clipboard_clear_seconds bigint NOT NULL,
    local_api_enabled boolean NOT NULL,
    local_api_port bigint NOT NULL,
    launch_at_login boolean NOT NULL,
    close_to_tray boolean NOT NULL,
    notifications boolean NOT NULL,
    max_live_tokens bigint NOT NULL
);

CREATE TABLE users (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    role text NOT NULL,
    active boolean NOT NULL,
    api_access boolean NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

-- The unique index of emails, lower-cased.
CREATE TABLE user_emails (
    email text COLLATE "C" PRIMARY KEY,
    user_id text NOT NULL
);

CREATE TABLE locations (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    created_at bigint NOT NULL
);

CREATE TABLE api_keys (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    owner text NOT NULL,
    location_id text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    kept_at bigint,
    disabled boolean NOT NULL,
    revoked_at bigint,
    generation bigint NOT NULL,
    hash bytea NOT NULL,
    masked text NOT NULL,
    sealed bytea NOT NULL,
    graces jsonb NOT NULL,
    old_hashes bytea[] NOT NULL,
    reminders jsonb NOT NULL
);
CREATE INDEX api_keys_owner ON api_keys (owner);

-- The unique index of secrets: SHA-256 of a key's or a token's secret.
CREATE TABLE secret_hashes (
    hash bytea PRIMARY KEY,
    token boolean NOT NULL,
    id text NOT NULL,
    generation bigint NOT NULL
);

CREATE TABLE tokens (
    id text COLLATE "C" PRIMARY KEY,
    key_id text NOT NULL,
    generation bigint NOT NULL,
    hash bytea NOT NULL,
    masked text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked_at bigint,
    reminders jsonb NOT NULL
);
CREATE INDEX tokens_key ON tokens (key_id);

CREATE TABLE last_used (
    id text COLLATE "C" PRIMARY KEY,
    at bigint NOT NULL
);

CREATE TABLE audit_events (
    id text COLLATE "C" PRIMARY KEY,
    at bigint NOT NULL,
    actor text NOT NULL,
    actor_user_id text,
    entity text NOT NULL,
    operation text NOT NULL,
    object_id text NOT NULL,
    object_name text NOT NULL,
    user_id text,
    key_id text,
    summary text NOT NULL
);

CREATE TABLE webhooks (
    id text COLLATE "C" PRIMARY KEY,
    user_id text NOT NULL,
    url text NOT NULL,
    entity text NOT NULL,
    operation text NOT NULL,
    active boolean NOT NULL,
    allow_private boolean NOT NULL,
    sealed_secret bytea NOT NULL,
    masked_secret text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    off_reason text
);

CREATE TABLE webhook_outbox (
    id text COLLATE "C" PRIMARY KEY,
    webhook_id text NOT NULL,
    event_type text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL,
    attempts bigint NOT NULL,
    next_attempt_at bigint NOT NULL
);

-- Keyed "{webhook id}/{delivery id}", as each subscription's log is read in order.
CREATE TABLE webhook_deliveries (
    k text COLLATE "C" PRIMARY KEY,
    id text NOT NULL,
    webhook_id text NOT NULL,
    message_id text NOT NULL,
    event_type text NOT NULL,
    attempt bigint NOT NULL,
    at bigint NOT NULL,
    status_code bigint,
    error text,
    outcome text NOT NULL,
    next_retry_at bigint
);
