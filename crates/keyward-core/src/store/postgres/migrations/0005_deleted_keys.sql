-- Recently deleted keys, kept 30 days so they can be restored: the key, its tokens, its
-- secret hashes and last-use times travel together in `contents`.
CREATE TABLE deleted_keys (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    owner text NOT NULL,
    deleted_at bigint NOT NULL,
    deleted_by text,
    reason text NOT NULL,
    contents bytea NOT NULL
);
CREATE INDEX deleted_keys_deleted_at ON deleted_keys (deleted_at);
