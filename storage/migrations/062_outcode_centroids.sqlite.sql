-- outcode centroids: SQLite triggers bumping the cascade cache version
CREATE TRIGGER outcode_centroids_cache_insert AFTER INSERT ON outcode_centroids BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'cascade'; END;
CREATE TRIGGER outcode_centroids_cache_update AFTER UPDATE ON outcode_centroids BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'cascade'; END;
CREATE TRIGGER outcode_centroids_cache_delete AFTER DELETE ON outcode_centroids BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'cascade'; END;
