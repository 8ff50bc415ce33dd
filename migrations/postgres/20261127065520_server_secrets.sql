-- Create "server_secrets" table
CREATE TABLE "server_secrets" ("name" character varying(64) NOT NULL, "value" text NOT NULL, "created_at" timestamptz NOT NULL, PRIMARY KEY ("name"));
