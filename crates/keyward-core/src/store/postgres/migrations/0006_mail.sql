-- Email to key owners: the SMTP server (its password masked; the password itself is
-- sealed in keyward_meta) and the sender, and the emails waiting to be sent.
ALTER TABLE settings ADD COLUMN smtp_url text NOT NULL DEFAULT '';
ALTER TABLE settings ADD COLUMN smtp_from text NOT NULL DEFAULT '';

CREATE TABLE mail_outbox (
    id text COLLATE "C" PRIMARY KEY,
    message_id text NOT NULL,
    user_id text NOT NULL,
    to_name text NOT NULL,
    to_address text NOT NULL,
    key_id text,
    subject text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL,
    attempts bigint NOT NULL,
    next_attempt_at bigint NOT NULL,
    last_error text
);
