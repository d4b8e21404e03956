/**
 * The hub's tables, in SQL that SQLite and PostgreSQL both accept (BIGINT for milliseconds and sizes, INTEGER
 * 0/1 for flags, TEXT for ids).
 */
export const HUB_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  name TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  file_transfer INTEGER NOT NULL DEFAULT 1,
  locked INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
  send_id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  sender_dn TEXT NOT NULL,
  file_name TEXT NOT NULL,
  file_size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  conf_id TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  seen_status INTEGER NOT NULL,
  uploaded INTEGER NOT NULL DEFAULT 0,
  closed INTEGER NOT NULL DEFAULT 0,
  closed_reason TEXT
);
CREATE INDEX IF NOT EXISTS sends_sender ON sends (sender);
CREATE INDEX IF NOT EXISTS sends_sha ON sends (sha256);
CREATE INDEX IF NOT EXISTS sends_expiry ON sends (expires_at);
CREATE TABLE IF NOT EXISTS offers (
  offer_id TEXT PRIMARY KEY,
  send_id TEXT NOT NULL REFERENCES sends (send_id),
  recipient TEXT NOT NULL,
  state TEXT NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0,
  seen_state TEXT,
  accepted_by TEXT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS offers_send ON offers (send_id);
CREATE INDEX IF NOT EXISTS offers_recipient ON offers (recipient);
CREATE TABLE IF NOT EXISTS conferences (
  cid TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
`;
