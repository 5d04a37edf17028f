package server

// The JSON bodies of the broker's daily-work endpoints, for
// TestOpenAPIRequestBodies.
func init() {
	requestBodies["PUT /api/v1/requirements/{id}/urgency"] = urgencyInput{}
	requestBodies["POST /api/v1/requirements/{id}/notes"] = noteInput{}
	requestBodies["POST /api/v1/offers/{id}/withdraw"] = reasonInput{}
	requestBodies["POST /api/v1/offers/{id}/extend"] = extendInput{}
	requestBodies["POST /api/v1/offers/{id}/resend"] = offerInput{}
}
