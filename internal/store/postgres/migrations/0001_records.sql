-- 1: records, metadata and the store version.
--
-- Keys are compared byte-wise (COLLATE "C"), as Go compares strings, so that
-- Load's ORDER BY reads the primary key's order whatever the database's
-- default collation. Documents are bytea: the store keeps them byte for byte.
-- version is the store version of the Apply that last wrote the record, so
-- that a node can read what changed after the version it has.
CREATE TABLE records (
	kind       text COLLATE "C" NOT NULL,
	account    text COLLATE "C" NOT NULL,
	id         text COLLATE "C" NOT NULL,
	data       bytea NOT NULL,
	version    bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (kind, account, id)
);
CREATE INDEX records_version ON records (version);

CREATE TABLE meta (
	key   text COLLATE "C" PRIMARY KEY,
	value bytea NOT NULL
);

-- One row: every Apply raises it first thing in its transaction, so that
-- the row lock orders Apply transactions (on every node) and versions
-- commit in order.
CREATE TABLE store_version (
	id      boolean PRIMARY KEY DEFAULT true CHECK (id),
	version bigint NOT NULL CHECK (version >= 0)
);
INSERT INTO store_version (id, version) VALUES (true, 0);
