-- outcode centroids: postcode district centres from the ONS Postcode Directory, for distance in miles
CREATE TABLE outcode_centroids (
	council_id BIGINT NOT NULL REFERENCES councils(id),
	outcode TEXT NOT NULL,
	latitude DOUBLE PRECISION NOT NULL,
	longitude DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (council_id, outcode)
);
