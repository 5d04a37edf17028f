-- outcode centroids: PostgreSQL trigger bumping the cascade cache version
CREATE TRIGGER outcode_centroids_cache AFTER INSERT OR UPDATE OR DELETE ON outcode_centroids FOR EACH STATEMENT EXECUTE FUNCTION bump_cascade_cache();
