-- uplifts reach live placements
ALTER TABLE uplifts ADD COLUMN apply_placements BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE placement_prices ADD COLUMN uplift_id BIGINT REFERENCES uplifts(id);
