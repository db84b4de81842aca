-- The API and the matcher act as samlast_app (shared/db/pool.py sets the role on every
-- connection they open): they read and write every table, but on the audit trail they
-- may only read and append. Migrations keep running as the login role that owns the
-- tables, so only it could change the trail's triggers or grants.
DO $$
BEGIN
    CREATE ROLE samlast_app NOLOGIN;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- made by another database's migration on the same server
END $$;
GRANT samlast_app TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO samlast_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO samlast_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO samlast_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM samlast_app;
REVOKE INSERT, UPDATE, DELETE ON schema_migration FROM samlast_app;

-- Tables and sequences later migrations make: the same grants, without a line each.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO samlast_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO samlast_app;
