-- homeboy's PostgreSQL storage schema, version 1 (docs/backends/postgres.md).
--
-- The plugin runs this itself on first use, inside a transaction holding an advisory lock,
-- so hosts starting at once create it exactly once. Every statement is idempotent: a
-- database administrator may also run it ahead of time (psql -f schema.sql), and then the
-- role homeboy connects as needs no right to create anything.

CREATE SCHEMA IF NOT EXISTS homeboy;

-- Every write takes the next value: a file's version changes on every write, even of the
-- same content, and is never reused.
CREATE SEQUENCE IF NOT EXISTS homeboy.versions;

-- One row per file or folder. Paths are bytes (the contract does not promise UTF-8).
-- A path under the homeboy config folder is stored relative to it, starting with "~"
-- ("~/projects/website.json"), so every member of a namespace shares one config whatever
-- their config folder is called; any other path is stored as it is ("/srv/notes/a.txt").
-- "/" and "~" are roots: always folders, never stored.
CREATE TABLE IF NOT EXISTS homeboy.entries (
  namespace    text        NOT NULL,  -- storage_provider.config.namespace: teams sharing a database
  path         bytea       NOT NULL,
  parent       bytea       NOT NULL,  -- the path of the folder holding it
  is_directory boolean     NOT NULL,
  content      bytea,                 -- a file's bytes; NULL for a folder
  version      bigint      NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, path),
  CHECK (is_directory = (content IS NULL))
);

-- list: the children of one folder.
CREATE INDEX IF NOT EXISTS entries_children ON homeboy.entries (namespace, parent);

CREATE TABLE IF NOT EXISTS homeboy.meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO homeboy.meta (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING;
