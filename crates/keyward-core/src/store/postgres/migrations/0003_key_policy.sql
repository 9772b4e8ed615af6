-- A key's policy: when it expires, whether inactivity may delete it, notes and tags,
-- permissions, a rate limit, the reminders raised before its end; and a soft deletion
-- that can be undone.
ALTER TABLE api_keys ADD COLUMN expires_at bigint;
ALTER TABLE api_keys ADD COLUMN keep_always boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN notes text NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN tags jsonb NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN permissions jsonb NOT NULL DEFAULT '["*"]';
ALTER TABLE api_keys ADD COLUMN rate jsonb NOT NULL DEFAULT 'null';
ALTER TABLE api_keys ADD COLUMN deleted_at bigint;
ALTER TABLE api_keys ADD COLUMN expiry_reminders jsonb NOT NULL DEFAULT '[]';
