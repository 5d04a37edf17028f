-- cascade cache version: PostgreSQL triggers (statement level, so a bulk import bumps it once a statement)
CREATE FUNCTION bump_cascade_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'cascade'; RETURN NULL; END $$;
CREATE TRIGGER areas_cache AFTER INSERT OR UPDATE OR DELETE ON areas FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER area_borders_cache AFTER INSERT OR UPDATE OR DELETE ON area_borders FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER providers_cache AFTER INSERT OR UPDATE OR DELETE ON providers FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER locations_cache AFTER INSERT OR UPDATE OR DELETE ON locations FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER location_services_cache AFTER INSERT OR UPDATE OR DELETE ON location_services FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER agreements_cache AFTER INSERT OR UPDATE OR DELETE ON agreements FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER lots_cache AFTER INSERT OR UPDATE OR DELETE ON lots FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER awards_cache AFTER INSERT OR UPDATE OR DELETE ON awards FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
CREATE TRIGGER contracted_prices_cache AFTER INSERT OR UPDATE OR DELETE ON contracted_prices FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
